package protocol

// Header is a typed custom header: the fields of one request or response
// code, carried in a command's ExtFields.
//
// Encode appends the header's fields to e (absent optional fields are left
// out, as Java leaves out nulls). Decode reads them from e into the receiver,
// overwriting every field (so a struct can be reused without resetting), and
// returns an *Error with code SystemError naming the first missing required
// field or malformed number, as Java's checkFields does.
//
// Headers decoded on the broker's hot paths (send, pull, offsets) hold []byte
// views into e: they are valid only while e is. Other headers hold strings.
type Header interface {
	Encode(e *ExtFields)
	Decode(e *ExtFields) error
}
