package filter

import (
	"errors"
	"strconv"
	"unicode/utf8"
)

// ErrSyntax is matched (errors.Is) by every error Compile returns for an
// expression it rejects. The broker answers such a subscription with
// SUBSCRIPTION_PARSE_FAILED and the error text as the remark.
var ErrSyntax = errors.New("filter: invalid SQL92 expression")

// ErrTooComplex is matched (errors.Is), together with ErrSyntax, by the
// errors for an expression over MaxLength bytes or nested deeper than
// MaxDepth.
var ErrTooComplex = errors.New("filter: SQL92 expression too complex")

// SyntaxError says what is wrong with an expression and where.
type SyntaxError struct {
	Offset int    // byte offset into the expression where the problem starts
	Line   int    // 1-based line of Offset
	Column int    // 1-based column of Offset, counted in characters
	Msg    string // what is wrong, e.g. "expected ')' but found end of expression"

	tooComplex bool
}

// Error formats the error as "filter: line L, column C: Msg", suitable as
// the remark of a SUBSCRIPTION_PARSE_FAILED response.
func (e *SyntaxError) Error() string {
	return "filter: invalid SQL92 expression at line " + strconv.Itoa(e.Line) +
		", column " + strconv.Itoa(e.Column) + ": " + e.Msg
}

// Is makes errors.Is(err, ErrSyntax) hold for every SyntaxError, and
// errors.Is(err, ErrTooComplex) for those about the limits.
func (e *SyntaxError) Is(target error) bool {
	return target == ErrSyntax || (e.tooComplex && target == ErrTooComplex)
}

// newSyntaxError builds the error for src at byte offset off.
func newSyntaxError(src string, off int, msg string) *SyntaxError {
	if off < 0 {
		off = 0
	}
	if off > len(src) {
		off = len(src)
	}
	line, col := 1, 1
	for i := 0; i < off; {
		r, n := utf8.DecodeRuneInString(src[i:])
		i += n
		switch {
		case r == '\n':
			line, col = line+1, 1
		case r == '\r':
			// A lone CR ends a line; CR LF counts once, at the LF.
			if i < len(src) && src[i] == '\n' {
				continue
			}
			line, col = line+1, 1
		default:
			col++
		}
	}
	return &SyntaxError{Offset: off, Line: line, Column: col, Msg: msg}
}
