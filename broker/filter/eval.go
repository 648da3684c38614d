package filter

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/bits"

	"github.com/quivermq/quiver/message"
)

// tri is the result of a condition: Java's Boolean.TRUE, Boolean.FALSE or
// null, plus triErr for an exception (a failed number conversion, or a
// Boolean cast to String), which ends the evaluation: the broker's
// ExpressionMessageFilter catches it and does not deliver the message.
type tri uint8

const (
	triFalse tri = iota
	triTrue
	triNull
	triErr
)

func triOf(b bool) tri {
	if b {
		return triTrue
	}
	return triFalse
}

// memoSlots is how many distinct properties an evaluation finds in one
// scan of the properties string; further ones are looked up at each use.
const memoSlots = 16

// evalCtx is the state of one Match. It lives on Match's stack.
type evalCtx struct {
	e       *Expr
	props   []byte
	scanned bool
	found   uint16 // per slot: the property is present, in vals
	vals    [memoSlots][]byte
}

// Match reports whether a message whose properties string (key 0x01 value
// 0x02 ..., as stored) is props passes the filter, with the Java broker's
// semantics: the expression must evaluate to exactly TRUE; NULL (a
// missing property decides the result) and an evaluation error (a value
// that does not convert to the number it is compared with) do not match.
//
// Match neither decodes nor copies props and does not allocate. It is
// safe for concurrent use, and does not retain props.
func (e *Expr) Match(props []byte) bool {
	return e.eval(props) == triTrue
}

// eval returns the result Java's evaluate would give: TRUE, FALSE, null,
// or triErr for an exception.
func (e *Expr) eval(props []byte) tri {
	if e == nil || e.root == nil {
		return triErr
	}
	var c evalCtx
	c.e, c.props = e, props
	return c.cond(e.root)
}

// property returns the value of the property n names, aliasing props.
// The first call scans props once for every property of the expression
// (the first memoSlots of them), with message.Property's rules: a segment
// runs to the next 0x02, its key to its first 0x01, a segment with an
// empty value is skipped, and the last of duplicate keys wins.
func (c *evalCtx) property(n *node) ([]byte, bool) {
	if n.slot >= memoSlots {
		return message.Property(c.props, n.name)
	}
	if !c.scanned {
		c.scan()
	}
	return c.vals[n.slot], c.found&(1<<n.slot) != 0
}

func (c *evalCtx) scan() {
	c.scanned = true
	p, e := c.props, c.e
	for i := 0; i < len(p); {
		end := indexSeparator(p, i)
		for m := e.first[p[i]]; m != 0; m &= m - 1 {
			s := bits.TrailingZeros16(m)
			name := e.names[s]
			if v := i + len(name) + 1; v < end && p[v-1] == message.NameValueSeparator && string(p[i:v-1]) == name {
				c.vals[s] = p[v:end:end]
				c.found |= 1 << s
			}
		}
		i = end + 1
	}
}

// indexSeparator returns the index of the first PropertySeparator in p at
// or after i, or len(p). Segments are short, so it tests eight bytes at a
// time in a register rather than calling bytes.IndexByte per segment.
func indexSeparator(p []byte, i int) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for ; i+8 <= len(p); i += 8 {
		w := binary.LittleEndian.Uint64(p[i:]) ^ (ones * uint64(message.PropertySeparator))
		// The lowest set bit marks the first zero byte of w exactly.
		if m := (w - ones) &^ w & highs; m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for ; i < len(p); i++ {
		if p[i] == message.PropertySeparator {
			return i
		}
	}
	return len(p)
}

// cond evaluates a condition node.
func (c *evalCtx) cond(n *node) tri {
	switch n.op {
	case opConst:
		switch n.val.k {
		case kBool:
			return triOf(n.val.b)
		case kNull:
			return triNull
		}
		return triErr // not a condition; Compile never builds this
	case opCast:
		// A property's value is a String, which casts to FALSE.
		if _, ok := c.property(n.kids[0]); ok {
			return triFalse
		}
		return triNull
	case opNot:
		switch r := c.cond(n.kids[0]); r {
		case triTrue:
			return triFalse
		case triFalse:
			return triTrue
		default:
			return r
		}
	case opAnd:
		null := false
		for _, k := range n.kids {
			switch c.cond(k) {
			case triFalse:
				return triFalse
			case triErr:
				return triErr
			case triNull:
				null = true
			}
		}
		if null {
			return triNull
		}
		return triTrue
	case opOr:
		null := false
		for _, k := range n.kids {
			switch c.cond(k) {
			case triTrue:
				return triTrue
			case triErr:
				return triErr
			case triNull:
				null = true
			}
		}
		if null {
			return triNull
		}
		return triFalse
	case opEq:
		if n.propConst {
			return c.equalPropConst(n.kids[0], &n.kids[1].val)
		}
		return c.equal(n.kids[0], n.kids[1])
	case opNe:
		r := triErr
		if n.propConst {
			r = c.equalPropConst(n.kids[0], &n.kids[1].val)
		} else {
			r = c.equal(n.kids[0], n.kids[1])
		}
		switch r {
		case triTrue:
			return triFalse
		case triFalse:
			return triTrue
		default:
			return r
		}
	case opLt, opLe, opGt, opGe:
		if n.propConst {
			v, ok := c.property(n.kids[0])
			if !ok {
				return triNull
			}
			return relateStr(n.op, v, &n.kids[1].val)
		}
		l, ok := c.val(n.kids[0])
		if !ok {
			return triErr
		}
		return c.relate(n.op, l, n.kids[1])
	case opIsNull, opIsNotNull:
		// Java: x = NULL gives TRUE when x is null and FALSE otherwise;
		// IS NOT NULL is its negation. Never NULL.
		v, ok := c.val(n.kids[0])
		if !ok {
			return triErr
		}
		return triOf((v.k == kNull) == (n.op == opIsNull))
	case opBetween:
		if n.propConst {
			v, ok := c.property(n.kids[0])
			if !ok {
				return triNull
			}
			r1 := relateStr(opGe, v, &n.kids[1].val)
			if r1 == triFalse || r1 == triErr {
				return r1
			}
			r2 := relateStr(opLe, v, &n.kids[2].val)
			if r2 == triFalse || r2 == triErr {
				return r2
			}
			if r1 == triNull || r2 == triNull {
				return triNull
			}
			return triTrue
		}
		// x >= lo AND x <= hi, x evaluated once (it has no side effects).
		x, ok := c.val(n.kids[0])
		if !ok {
			return triErr
		}
		r1 := c.relate(opGe, x, n.kids[1])
		if r1 == triFalse || r1 == triErr {
			return r1
		}
		r2 := c.relate(opLe, x, n.kids[2])
		if r2 == triFalse || r2 == triErr {
			return r2
		}
		if r1 == triNull || r2 == triNull {
			return triNull
		}
		return triTrue
	case opNotBetween:
		if n.propConst {
			v, ok := c.property(n.kids[0])
			if !ok {
				return triNull
			}
			r1 := relateStr(opLt, v, &n.kids[1].val)
			if r1 == triTrue || r1 == triErr {
				return r1
			}
			r2 := relateStr(opGt, v, &n.kids[2].val)
			if r2 == triTrue || r2 == triErr {
				return r2
			}
			if r1 == triNull || r2 == triNull {
				return triNull
			}
			return triFalse
		}
		// x < lo OR x > hi.
		x, ok := c.val(n.kids[0])
		if !ok {
			return triErr
		}
		r1 := c.relate(opLt, x, n.kids[1])
		if r1 == triTrue || r1 == triErr {
			return r1
		}
		r2 := c.relate(opGt, x, n.kids[2])
		if r2 == triTrue || r2 == triErr {
			return r2
		}
		if r1 == triNull || r2 == triNull {
			return triNull
		}
		return triFalse
	case opIn, opNotIn:
		v, ok := c.property(n.kids[0])
		if !ok {
			return triNull
		}
		return triOf(n.contains(v) != (n.op == opNotIn))
	}
	return triErr // a value node where a condition belongs; Compile never builds this
}

// contains reports whether v is one of the IN list's strings.
func (n *node) contains(v []byte) bool {
	if n.set != nil {
		_, ok := n.set[string(v)] // no allocation: the compiler looks up without copying
		return ok
	}
	for _, s := range n.list {
		if string(v) == s {
			return true
		}
	}
	return false
}

// val evaluates an operand of a comparison. ok=false is an evaluation
// error.
func (c *evalCtx) val(n *node) (value, bool) {
	switch n.op {
	case opConst:
		return n.val, true
	case opProp:
		if v, ok := c.property(n); ok {
			return value{k: kStr, s: v}, true
		}
		return value{}, true
	case opNeg:
		if n.hasVal {
			return n.val, true
		}
		v, ok := c.val(n.kids[0])
		if !ok {
			return value{}, false
		}
		return negate(v), true
	}
	switch c.cond(n) {
	case triTrue:
		return value{k: kBool, b: true}, true
	case triFalse:
		return value{k: kBool}, true
	case triNull:
		return value{}, true
	}
	return value{}, false
}

// relateStr is relate for a present property v against a constant r
// (which cannot be a string: Compile refuses string constants there).
func relateStr(o op, v []byte, r *value) tri {
	if r.k == kNull {
		return triNull
	}
	cmp, ok := compareStr(v, r)
	if !ok {
		return triErr
	}
	return relResult(o, cmp)
}

func relResult(o op, cmp int) tri {
	switch o {
	case opLt:
		return triOf(cmp < 0)
	case opLe:
		return triOf(cmp <= 0)
	case opGt:
		return triOf(cmp > 0)
	}
	return triOf(cmp >= 0)
}

// equalPropConst is equal for a property against a constant.
func (c *evalCtx) equalPropConst(pn *node, r *value) tri {
	v, ok := c.property(pn)
	switch {
	case !ok && r.k == kNull:
		return triTrue
	case !ok:
		return triNull
	case r.k == kNull:
		return triFalse
	}
	cmp, ok := compareStr(v, r)
	if !ok {
		return triErr
	}
	return triOf(cmp == 0)
}

// relate is ComparisonExpression.evaluate for < <= > >= with the left
// operand already evaluated: NULL when either side is null (the right side
// is not evaluated when the left is null); two strings are both read as
// doubles; otherwise the typed comparison.
func (c *evalCtx) relate(o op, l value, rn *node) tri {
	if l.k == kNull {
		return triNull
	}
	r, ok := c.val(rn)
	if !ok {
		return triErr
	}
	if r.k == kNull {
		return triNull
	}
	var cmp int
	if l.k == kStr && r.k == kStr {
		lf, ok := parseJavaDouble(l.s)
		if !ok {
			return triErr
		}
		rf, ok := parseJavaDouble(r.s)
		if !ok {
			return triErr
		}
		cmp = javaDoubleCompare(lf, rf)
	} else if cmp, ok = compare(&l, &r); !ok {
		return triErr
	}
	return relResult(o, cmp)
}

// equal is the = of ComparisonExpression.doCreateEqual: both sides are
// evaluated; a null left side gives NULL when the right is not null, a
// null right side alone gives FALSE, two nulls give TRUE; otherwise the
// typed comparison decides.
func (c *evalCtx) equal(ln, rn *node) tri {
	l, ok := c.val(ln)
	if !ok {
		return triErr
	}
	r, ok := c.val(rn)
	if !ok {
		return triErr
	}
	if l.k == kNull || r.k == kNull {
		switch {
		case l.k == r.k:
			return triTrue
		case l.k == kNull:
			return triNull
		default:
			return triFalse
		}
	}
	cmp, ok := compare(&l, &r)
	if !ok {
		return triErr
	}
	return triOf(cmp == 0)
}

// negate is UnaryExpression.createNegate's evaluation: numbers are negated
// in their own type (Java int and long arithmetic wrap), anything else is
// null.
func negate(v value) value {
	switch v.k {
	case kInt:
		return value{k: kInt, i: int64(-int32(v.i))}
	case kLong:
		return value{k: kLong, i: -v.i}
	case kDouble:
		return value{k: kDouble, f: -v.f}
	}
	return value{}
}

// compare is ComparisonExpression.__compare with convertStringExpressions
// on (SelectorParser.parse sets it) for two non-null values: values of one
// type compare as such; an int widens to long or double and a long to
// double; a string facing a number is parsed as that number's type
// (Integer.valueOf, Long.valueOf, Double.valueOf) and facing a boolean
// with Boolean.valueOf; any other pair compares as "less" (-1). ok=false
// is Java's exception: a string that does not parse, or a Boolean on the
// left of a String (Java then casts the Boolean to String).
func compare(l, r *value) (int, bool) {
	if l.k == r.k {
		switch l.k {
		case kBool:
			return boolCompare(l.b, r.b), true
		case kInt, kLong:
			return intCompare(l.i, r.i), true
		case kDouble:
			return javaDoubleCompare(l.f, r.f), true
		case kStr:
			return bytes.Compare(l.s, r.s), true
		}
		return 0, true
	}
	switch l.k {
	case kBool:
		if r.k == kStr {
			return 0, false
		}
	case kInt, kLong:
		switch r.k {
		case kInt, kLong:
			return intCompare(l.i, r.i), true
		case kDouble:
			return javaDoubleCompare(float64(l.i), r.f), true
		case kStr:
			bits := uint(64)
			if l.k == kInt {
				bits = 32
			}
			v, ok := parseJavaInt(r.s, bits)
			if !ok {
				return 0, false
			}
			return intCompare(l.i, v), true
		}
	case kDouble:
		switch r.k {
		case kInt, kLong:
			return javaDoubleCompare(l.f, float64(r.i)), true
		case kStr:
			v, ok := parseJavaDouble(r.s)
			if !ok {
				return 0, false
			}
			return javaDoubleCompare(l.f, v), true
		}
	case kStr:
		return compareStr(l.s, r)
	}
	return -1, true
}

// compareStr is compare for a string l (not null) and a non-null r.
func compareStr(l []byte, r *value) (int, bool) {
	switch r.k {
	case kStr:
		return bytes.Compare(l, r.s), true
	case kBool:
		return boolCompare(parseJavaBool(l), r.b), true
	case kInt, kLong:
		bits := uint(64)
		if r.k == kInt {
			bits = 32
		}
		v, ok := parseJavaInt(l, bits)
		if !ok {
			return 0, false
		}
		return intCompare(v, r.i), true
	case kDouble:
		v, ok := parseJavaDouble(l)
		if !ok {
			return 0, false
		}
		return javaDoubleCompare(v, r.f), true
	}
	return -1, true
}

func intCompare(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func boolCompare(a, b bool) int {
	switch {
	case a == b:
		return 0
	case b:
		return -1 // false < true
	}
	return 1
}

// javaDoubleCompare is Double.compare: numeric order, with -0.0 below 0.0
// and NaN equal to itself and above everything.
func javaDoubleCompare(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	ab, bb := int64(math.Float64bits(a)), int64(math.Float64bits(b))
	if a != a {
		ab = 0x7ff8000000000000 // doubleToLongBits canonical NaN
	}
	if b != b {
		bb = 0x7ff8000000000000
	}
	return intCompare(ab, bb)
}
