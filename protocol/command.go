package protocol

// SerializeType is the header encoding of a frame. It travels in the high
// byte of the header-length word (format, never change).
type SerializeType uint8

const (
	// SerializeJSON is RocketMQ's JSON header (fastjson on the Java side).
	SerializeJSON SerializeType = 0
	// SerializeRocketMQ is RocketMQ's binary header (RocketMQSerializable).
	SerializeRocketMQ SerializeType = 1
)

// String returns the name RocketMQ uses for the type.
func (s SerializeType) String() string {
	switch s {
	case SerializeJSON:
		return "JSON"
	case SerializeRocketMQ:
		return "ROCKETMQ"
	}
	return "UNKNOWN"
}

// LanguageCode is the sender's client language (LanguageCode.java).
type LanguageCode uint8

// Language codes, format, never change.
const (
	LangJava    LanguageCode = 0
	LangCPP     LanguageCode = 1
	LangDotNet  LanguageCode = 2
	LangPython  LanguageCode = 3
	LangDelphi  LanguageCode = 4
	LangErlang  LanguageCode = 5
	LangRuby    LanguageCode = 6
	LangOther   LanguageCode = 7
	LangHTTP    LanguageCode = 8
	LangGo      LanguageCode = 9
	LangPHP     LanguageCode = 10
	LangOMS     LanguageCode = 11
	LangRust    LanguageCode = 12
	LangNodeJS  LanguageCode = 13
	LangUnknown LanguageCode = 127
)

var languageNames = [...]string{
	LangJava: "JAVA", LangCPP: "CPP", LangDotNet: "DOTNET", LangPython: "PYTHON",
	LangDelphi: "DELPHI", LangErlang: "ERLANG", LangRuby: "RUBY", LangOther: "OTHER",
	LangHTTP: "HTTP", LangGo: "GO", LangPHP: "PHP", LangOMS: "OMS", LangRust: "RUST",
	LangNodeJS: "NODE_JS",
}

// String returns the Java enum name of l, or "UNKNOWN".
func (l LanguageCode) String() string {
	if int(l) < len(languageNames) {
		return languageNames[l]
	}
	return "UNKNOWN"
}

// ParseLanguage maps a Java enum name to its code. Unknown names give
// LangUnknown and false; callers treat that as harmless (client-go does).
func ParseLanguage(name []byte) (LanguageCode, bool) {
	for i, n := range languageNames {
		if n == string(name) {
			return LanguageCode(i), true
		}
	}
	return LangUnknown, false
}

// Flag bits of a command (format, never change).
const (
	// FlagResponse marks a response.
	FlagResponse int32 = 1 << 0
	// FlagOneway marks a request that must not be answered.
	FlagOneway int32 = 1 << 1
)

// CurrentVersion is the MQVersion ordinal Quiver puts in the commands it
// creates: 401 is V4_9_4, the release whose behaviour Quiver follows.
const CurrentVersion int16 = 401

// Command is one remoting command: a request or a response.
//
// A decoded Command aliases the frame it was decoded from (Remark, Ext keys
// and values, Body) and its own Ext arena: it is valid only as long as that
// frame's bytes are, which for a request handed out by netio means until the
// handler returns. Copy what must outlive that.
//
// A Command is not safe for concurrent use. Reuse one by calling Reset.
type Command struct {
	// Code is the request code of a request or the response code of a
	// response. The ROCKETMQ header carries it in 16 bits.
	Code int32
	// Language is the sender's language.
	Language LanguageCode
	// Version is the sender's MQVersion ordinal.
	Version int16
	// Opaque correlates a response with its request.
	Opaque int32
	// Flag holds FlagResponse and FlagOneway.
	Flag int32
	// Remark is optional text, usually an error description. Empty means
	// absent (Java writes null).
	Remark []byte
	// Ext is the custom header ("extFields"): string keys and values.
	Ext ExtFields
	// Serialize is the header encoding the command arrived in, and the one
	// it is encoded in.
	Serialize SerializeType
	// Body is the payload after the header; may be empty.
	Body []byte
}

// IsResponse reports whether c is a response.
func (c *Command) IsResponse() bool { return c.Flag&FlagResponse != 0 }

// IsOneway reports whether c is a request that must not be answered.
func (c *Command) IsOneway() bool { return c.Flag&FlagOneway != 0 }

// Reset clears c for reuse, keeping its buffers.
func (c *Command) Reset() {
	c.Code, c.Language, c.Version, c.Opaque, c.Flag = 0, 0, 0, 0, 0
	c.Remark = c.Remark[:0]
	c.Ext.Reset()
	c.Serialize = SerializeJSON
	c.Body = nil
}

// SetRemark copies s into c's remark buffer.
func (c *Command) SetRemark(s string) { c.Remark = append(c.Remark[:0], s...) }

// ResponseTo prepares c as the response to req with the given code: the
// opaque and serialize type are copied, the response flag set, language and
// version are Quiver's own (JAVA, the language every RocketMQ broker reports). Ext, Remark and Body are cleared.
func (c *Command) ResponseTo(req *Command, code ResponseCode) {
	c.Reset()
	c.Code = int32(code)
	c.Language = LangJava
	c.Version = CurrentVersion
	c.Opaque = req.Opaque
	c.Flag = FlagResponse
	c.Serialize = req.Serialize
}

// NewRequest prepares c as a request with the given code and Quiver's
// language and version. Opaque is left for the sender to assign.
func (c *Command) NewRequest(code RequestCode) {
	c.Reset()
	c.Code = int32(code)
	c.Language = LangJava
	c.Version = CurrentVersion
}
