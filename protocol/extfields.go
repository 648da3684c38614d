package protocol

import (
	"strconv"
	"unsafe"
)

// ExtFields is a command's custom header: an ordered list of string keys and
// values, in the order they were decoded or added. It replaces the
// map[string]string of the Java and Go clients so that decoding a request
// costs no map and no allocation once the ExtFields is warm.
//
// Keys and values are byte slices that alias either the decoded frame or the
// ExtFields' own arena (for JSON values that needed unescaping, and for values
// added with the Add* methods that copy). They stay valid until Reset, even if
// the arena grows: a grown arena leaves earlier slices pointing at the old,
// still-live backing array.
//
// Lookups are linear: a header has at most a few dozen fields, where a scan
// beats hashing. An ExtFields is not safe for concurrent use.
type ExtFields struct {
	kv    []extField
	arena []byte
}

type extField struct {
	key, val []byte
	// plain is set when neither key nor val needs JSON escaping, known
	// where the field was added (numbers, booleans, constant key names),
	// so that the encoder need not scan them.
	plain bool
}

// Reset empties e, keeping its storage.
func (e *ExtFields) Reset() {
	clear(e.kv) // drop references to the old frame
	e.kv = e.kv[:0]
	e.arena = e.arena[:0]
}

// Len returns the number of fields.
func (e *ExtFields) Len() int { return len(e.kv) }

// At returns the i-th field. The slices must not be modified.
func (e *ExtFields) At(i int) (key, val []byte) { return e.kv[i].key, e.kv[i].val }

// Get returns the value of the first field named key.
func (e *ExtFields) Get(key string) ([]byte, bool) {
	for i := range e.kv {
		if string(e.kv[i].key) == key {
			return e.kv[i].val, true
		}
	}
	return nil, false
}

// GetString returns the value of key as a string, or "" if absent. It
// allocates; hot paths use Get.
func (e *ExtFields) GetString(key string) string {
	v, _ := e.Get(key)
	return string(v)
}

// AddView appends a field whose key and value alias the caller's bytes. The
// caller keeps them unchanged until e is Reset.
func (e *ExtFields) AddView(key, val []byte) {
	e.kv = append(e.kv, extField{key: key, val: val})
}

// Add appends a field, copying val into e's arena. The key is referenced,
// not copied: keys are constant field names (see keyView).
func (e *ExtFields) Add(key string, val []byte) {
	k := keyView(key)
	start := len(e.arena)
	e.arena = append(e.arena, val...)
	e.kv = append(e.kv, extField{key: k, val: e.arena[start:len(e.arena):len(e.arena)]})
}

// AddString appends a field, copying val into e's arena; the key is
// referenced, as in Add.
func (e *ExtFields) AddString(key, val string) {
	k := keyView(key)
	e.kv = append(e.kv, extField{key: k, val: e.copyIn(val)})
}

// AddInt appends a field with the decimal form of v.
func (e *ExtFields) AddInt(key string, v int64) {
	k := keyView(key)
	start := len(e.arena)
	e.arena = strconv.AppendInt(e.arena, v, 10)
	e.kv = append(e.kv, extField{key: k, val: e.arena[start:len(e.arena):len(e.arena)]})
}

// addPlainInt is AddInt for a key the caller knows needs no JSON escaping
// (a constant field name of letters and digits): the encoder then skips
// scanning the field.
func (e *ExtFields) addPlainInt(key string, v int64) {
	e.AddInt(key, v)
	e.kv[len(e.kv)-1].plain = true
}

// addPlainBool is AddBool for a key that needs no JSON escaping.
func (e *ExtFields) addPlainBool(key string, v bool) {
	e.AddBool(key, v)
	e.kv[len(e.kv)-1].plain = true
}

// AddBool appends a field with "true" or "false".
func (e *ExtFields) AddBool(key string, v bool) {
	if v {
		e.AddString(key, "true")
	} else {
		e.AddString(key, "false")
	}
}

// AppendArena appends b to e's arena and returns the copy, for decoders that
// unescape values. The copy lives until Reset.
func (e *ExtFields) AppendArena(b []byte) []byte {
	start := len(e.arena)
	e.arena = append(e.arena, b...)
	return e.arena[start:len(e.arena):len(e.arena)]
}

// Arena exposes the arena for decoders that build a value in place: append to
// the returned slice and pass the result to CommitArena.
func (e *ExtFields) Arena() []byte { return e.arena }

// CommitArena takes back an arena grown by appending to Arena() and returns
// the bytes appended since start (a length of the old Arena()).
func (e *ExtFields) CommitArena(grown []byte, start int) []byte {
	e.arena = grown
	return grown[start:len(grown):len(grown)]
}

// keyView returns key's bytes without copying them. NB: the slice aliases
// the string's memory, which may be read-only: it must never be written,
// which ExtFields' contract (At: "must not be modified") already forbids.
// Keys are nearly always constant field names, so copying them into the
// arena for every field of every reply would be pure overhead.
func keyView(key string) []byte {
	return unsafe.Slice(unsafe.StringData(key), len(key))
}

func (e *ExtFields) copyIn(s string) []byte {
	start := len(e.arena)
	e.arena = append(e.arena, s...)
	return e.arena[start:len(e.arena):len(e.arena)]
}

// CopyFrom replaces e's contents with copies of src's fields, so that e no
// longer aliases src's frame. Use it to keep a header past a handler's return.
func (e *ExtFields) CopyFrom(src *ExtFields) {
	e.Reset()
	for i := range src.kv {
		k := e.AppendArena(src.kv[i].key)
		v := e.AppendArena(src.kv[i].val)
		e.kv = append(e.kv, extField{key: k, val: v, plain: src.kv[i].plain})
	}
}
