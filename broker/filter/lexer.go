package filter

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// tokKind is the kind of a lexical token.
type tokKind uint8

const (
	tEOF tokKind = iota
	tIdent
	tString // text holds the decoded value ('' unescaped)
	tInt    // DECIMAL_LITERAL: 0 | [1-9][0-9]* [lL]?
	tFloat  // FLOATING_POINT_LITERAL
	// Keywords, case-insensitive.
	tNot
	tAnd
	tOr
	tBetween
	tIn
	tTrue
	tFalse
	tNull
	tIs
	// Punctuation.
	tEq     // =
	tNe     // <>
	tGt     // >
	tGe     // >=
	tLt     // <
	tLe     // <=
	tLParen // (
	tComma  // ,
	tRParen // )
	tPlus   // +
	tMinus  // -
)

var keywords = [...]struct {
	word string
	kind tokKind
}{
	{"NOT", tNot}, {"AND", tAnd}, {"OR", tOr}, {"BETWEEN", tBetween}, {"IN", tIn},
	{"TRUE", tTrue}, {"FALSE", tFalse}, {"NULL", tNull}, {"IS", tIs},
}

// describe names a token kind for error messages.
func (k tokKind) describe() string {
	switch k {
	case tEOF:
		return "end of expression"
	case tIdent:
		return "a property name"
	case tString:
		return "a string literal"
	case tInt, tFloat:
		return "a number"
	case tEq:
		return "'='"
	case tNe:
		return "'<>'"
	case tGt:
		return "'>'"
	case tGe:
		return "'>='"
	case tLt:
		return "'<'"
	case tLe:
		return "'<='"
	case tLParen:
		return "'('"
	case tComma:
		return "','"
	case tRParen:
		return "')'"
	case tPlus:
		return "'+'"
	case tMinus:
		return "'-'"
	}
	for _, kw := range keywords {
		if kw.kind == k {
			return kw.word
		}
	}
	return "?"
}

// token is one lexical token of an expression.
type token struct {
	kind tokKind
	off  int    // byte offset of the first character
	end  int    // byte offset after the last character
	text string // identifier, decoded string, or number image
}

// lexer splits an expression into tokens the way 4.9.4's
// SelectorParserTokenManager does (longest match, keywords before
// identifiers), with one leniency: a "--" comment may end at the end of
// the expression as well as at a line break (Java requires the break, but
// it also ignores whatever follows a complete expression, so the two
// accept the same selectors).
type lexer struct {
	src string
	pos int
	err *SyntaxError
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isIdentStart(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || c == '$'
}

func isIdentPart(c byte) bool { return isIdentStart(c) || isDigit(c) }

// skip passes whitespace and comments. It reports false and sets l.err on
// an unterminated block comment.
func (l *lexer) skip() bool {
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case isSpace(c):
			l.pos++
		case c == '-' && strings.HasPrefix(l.src[l.pos:], "--"):
			i := strings.IndexAny(l.src[l.pos:], "\r\n")
			if i < 0 {
				l.pos = len(l.src)
			} else {
				l.pos += i + 1
			}
		case c == '/' && strings.HasPrefix(l.src[l.pos:], "/*"):
			i := strings.Index(l.src[l.pos+2:], "*/")
			if i < 0 {
				l.err = newSyntaxError(l.src, l.pos, "unterminated comment: '/*' without '*/'")
				return false
			}
			l.pos += 2 + i + 2
		default:
			return true
		}
	}
	return true
}

// next returns the next token. On a lexical error it returns a tEOF token
// and sets l.err.
func (l *lexer) next() token {
	if !l.skip() {
		return token{kind: tEOF, off: l.pos, end: l.pos}
	}
	start := l.pos
	if start >= len(l.src) {
		return token{kind: tEOF, off: start, end: start}
	}
	c := l.src[start]
	tok := func(k tokKind, n int) token {
		l.pos = start + n
		return token{kind: k, off: start, end: l.pos}
	}
	switch {
	case isIdentStart(c):
		i := start + 1
		for i < len(l.src) && isIdentPart(l.src[i]) {
			i++
		}
		word := l.src[start:i]
		l.pos = i
		for _, kw := range keywords {
			if strings.EqualFold(word, kw.word) {
				return token{kind: kw.kind, off: start, end: i}
			}
		}
		return token{kind: tIdent, off: start, end: i, text: word}
	case isDigit(c) || c == '.' && start+1 < len(l.src) && isDigit(l.src[start+1]):
		return l.number(start)
	case c == '\'':
		return l.str(start)
	case c == '=':
		return tok(tEq, 1)
	case c == '<':
		if start+1 < len(l.src) {
			switch l.src[start+1] {
			case '>':
				return tok(tNe, 2)
			case '=':
				return tok(tLe, 2)
			}
		}
		return tok(tLt, 1)
	case c == '>':
		if start+1 < len(l.src) && l.src[start+1] == '=' {
			return tok(tGe, 2)
		}
		return tok(tGt, 1)
	case c == '(':
		return tok(tLParen, 1)
	case c == ')':
		return tok(tRParen, 1)
	case c == ',':
		return tok(tComma, 1)
	case c == '+':
		return tok(tPlus, 1)
	case c == '-':
		return tok(tMinus, 1)
	}
	msg := "unexpected character " + quoteChar(l.src[start:])
	switch c {
	case '"':
		msg += " (string literals take single quotes: 'text')"
	case '!':
		msg += " (not-equal is '<>')"
	}
	l.err = newSyntaxError(l.src, start, msg)
	return token{kind: tEOF, off: start, end: start}
}

// number lexes a DECIMAL_LITERAL or FLOATING_POINT_LITERAL at start,
// whichever match is longer:
//
//	DECIMAL: "0" | [1-9][0-9]* [lL]?
//	FLOAT:   [0-9]+ "." [0-9]* EXP? | "." [0-9]+ EXP? | [0-9]+ EXP
//	EXP:     [eE] [+-]? [0-9]+
//
// So "007" is three tokens 0 0 7, and "1e" is 1 followed by the
// identifier e, as in Java.
func (l *lexer) number(start int) token {
	s := l.src
	digits := func(i int) int {
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		return i
	}
	exponent := func(i int) int { // end of EXP at i, or i when there is none
		if i >= len(s) || s[i] != 'e' && s[i] != 'E' {
			return i
		}
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if k := digits(j); k > j {
			return k
		}
		return i
	}
	floatEnd, decEnd := -1, -1
	if s[start] == '.' {
		floatEnd = exponent(digits(start + 1))
	} else {
		j := digits(start)
		if j < len(s) && s[j] == '.' {
			floatEnd = exponent(digits(j + 1))
		} else if e := exponent(j); e > j {
			floatEnd = e
		}
		if s[start] == '0' {
			decEnd = start + 1
		} else {
			decEnd = j
			if j < len(s) && (s[j] == 'l' || s[j] == 'L') {
				decEnd++
			}
		}
	}
	if floatEnd > decEnd {
		l.pos = floatEnd
		return token{kind: tFloat, off: start, end: floatEnd, text: s[start:floatEnd]}
	}
	l.pos = decEnd
	return token{kind: tInt, off: start, end: decEnd, text: s[start:decEnd]}
}

// str lexes a string literal at start: a quote, then any characters
// where a quote is written twice, then a quote.
func (l *lexer) str(start int) token {
	s := l.src
	var b strings.Builder
	i := start + 1
	for {
		j := strings.IndexByte(s[i:], '\'')
		if j < 0 {
			l.err = newSyntaxError(s, start, "unterminated string literal: missing closing quote (a quote inside is written '')")
			return token{kind: tEOF, off: start, end: start}
		}
		b.WriteString(s[i : i+j])
		i += j + 1
		if i < len(s) && s[i] == '\'' {
			b.WriteByte('\'')
			i++
			continue
		}
		break
	}
	l.pos = i
	return token{kind: tString, off: start, end: i, text: b.String()}
}

// quoteChar quotes the first character of s for an error message.
func quoteChar(s string) string {
	r, _ := utf8.DecodeRuneInString(s)
	if r < 0x20 || r == 0x7f || r == utf8.RuneError || !unicode.IsPrint(r) {
		return fmt.Sprintf("U+%04X", r)
	}
	return "'" + string(r) + "'"
}
