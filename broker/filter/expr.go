package filter

import (
	"strconv"
	"strings"
)

// Limits on what Compile accepts. Java has none; these keep a hostile
// subscription from costing the broker stack, memory or time.
const (
	// MaxLength is the longest expression Compile accepts, in bytes.
	MaxLength = 64 << 10
	// MaxDepth bounds nesting: parentheses, NOT, unary signs and chained
	// comparisons together, and so the depth of the evaluated tree.
	MaxDepth = 100
)

// kind is the type of a value, after Java's: null, Boolean, Integer, Long,
// Double or String.
type kind uint8

const (
	kNull kind = iota
	kBool
	kInt  // Java Integer: a literal in int range
	kLong // Java Long: a literal beyond int range
	kDouble
	kStr
)

// value is one evaluated operand. Strings alias the properties or the
// expression; they are never retained past Match.
type value struct {
	k kind
	b bool    // kBool
	i int64   // kInt, kLong
	f float64 // kDouble
	s []byte  // kStr
}

func (v value) numeric() bool { return v.k == kInt || v.k == kLong || v.k == kDouble }

// op is the operation of a node.
type op uint8

const (
	opConst      op = iota // val
	opProp                 // a message property: name, slot
	opNeg                  // -kids[0]; val holds the result when constant
	opCast                 // boolean cast of the property kids[0]
	opNot                  // NOT kids[0]
	opAnd                  // kids[0] AND kids[1] AND ...
	opOr                   // kids[0] OR kids[1] OR ...
	opEq                   // kids[0] = kids[1]
	opNe                   // kids[0] <> kids[1], that is NOT (kids[0] = kids[1])
	opLt                   // kids[0] < kids[1]
	opLe                   // <=
	opGt                   // >
	opGe                   // >=
	opIsNull               // kids[0] IS NULL
	opIsNotNull            // kids[0] IS NOT NULL
	opBetween              // kids[0] BETWEEN kids[1] AND kids[2]
	opNotBetween           // kids[0] NOT BETWEEN kids[1] AND kids[2]
	opIn                   // kids[0] IN (list)
	opNotIn                // kids[0] NOT IN (list)
)

var opSymbol = [...]string{
	opEq: "=", opNe: "<>", opLt: "<", opLe: "<=", opGt: ">", opGe: ">=",
	opAnd: "AND", opOr: "OR",
}

// node is one node of a compiled expression. It is immutable after
// Compile.
type node struct {
	op     op
	hasVal bool // opConst, or an opNeg whose operand is constant
	// propConst marks a comparison (= <> < <= > >= [NOT] BETWEEN) of a
	// property with constants (hasVal), which Match evaluates directly.
	propConst bool
	val       value
	kids      []*node
	name      string              // opProp
	slot      int                 // opProp: index in Expr.names
	list      []string            // opIn, opNotIn: the literals in source order
	set       map[string]struct{} // opIn, opNotIn with many literals
	depth     int                 // 1 + the deepest kid
	off, end  int                 // source span, for error messages
}

// isCondition reports whether n is what Java calls a BooleanExpression:
// anything that yields TRUE, FALSE or NULL, including the TRUE, FALSE and
// NULL literals. A property is not one, but it may stand where a condition
// is expected (it is then cast).
func (n *node) isCondition() bool {
	switch n.op {
	case opConst:
		return n.val.k == kBool || n.val.k == kNull
	case opProp, opNeg:
		return false
	}
	return true
}

// Expr is a compiled SQL92 filter expression. It is immutable, and Match
// and String are safe for concurrent use.
type Expr struct {
	root  *node
	names []string // distinct property names, indexed by node.slot
	src   string
	// first maps a byte to the slots (bits, for the first memoSlots
	// names) of the names that start with it.
	first [256]uint16
}

// Source returns the expression as it was given to Compile.
func (e *Expr) Source() string { return e.src }

// Properties returns the names of the properties the expression reads, in
// order of first appearance. The caller must not modify the slice.
func (e *Expr) Properties() []string { return e.names }

// String returns the expression in a normalized form: keywords in upper
// case, literals as Compile would read them back, every operation in
// parentheses except the outermost, comments and redundant spaces gone,
// and chains of AND or OR flattened. Compile(e.String()) yields an
// equivalent expression with the same String.
func (e *Expr) String() string {
	var b strings.Builder
	e.root.format(&b, true)
	return b.String()
}

func (n *node) format(b *strings.Builder, top bool) {
	open := func() {
		if !top {
			b.WriteByte('(')
		}
	}
	closeP := func() {
		if !top {
			b.WriteByte(')')
		}
	}
	switch n.op {
	case opConst:
		formatValue(b, n.val)
	case opProp:
		b.WriteString(n.name)
	case opCast:
		n.kids[0].format(b, top)
	case opNeg:
		b.WriteByte('-')
		var sub strings.Builder
		n.kids[0].format(&sub, false)
		if s := sub.String(); strings.HasPrefix(s, "-") {
			b.WriteByte(' ') // "--" would start a comment
			b.WriteString(s)
		} else {
			b.WriteString(s)
		}
	case opNot:
		b.WriteString("NOT ")
		n.kids[0].format(b, false)
	case opAnd, opOr:
		open()
		for i, k := range n.kids {
			if i > 0 {
				b.WriteByte(' ')
				b.WriteString(opSymbol[n.op])
				b.WriteByte(' ')
			}
			k.format(b, false)
		}
		closeP()
	case opEq, opNe, opLt, opLe, opGt, opGe:
		open()
		n.kids[0].format(b, false)
		b.WriteByte(' ')
		b.WriteString(opSymbol[n.op])
		b.WriteByte(' ')
		n.kids[1].format(b, false)
		closeP()
	case opIsNull, opIsNotNull:
		open()
		n.kids[0].format(b, false)
		if n.op == opIsNull {
			b.WriteString(" IS NULL")
		} else {
			b.WriteString(" IS NOT NULL")
		}
		closeP()
	case opBetween, opNotBetween:
		open()
		n.kids[0].format(b, false)
		if n.op == opBetween {
			b.WriteString(" BETWEEN ")
		} else {
			b.WriteString(" NOT BETWEEN ")
		}
		n.kids[1].format(b, false)
		b.WriteString(" AND ")
		n.kids[2].format(b, false)
		closeP()
	case opIn, opNotIn:
		open()
		n.kids[0].format(b, false)
		if n.op == opIn {
			b.WriteString(" IN (")
		} else {
			b.WriteString(" NOT IN (")
		}
		for i, s := range n.list {
			if i > 0 {
				b.WriteString(", ")
			}
			formatString(b, s)
		}
		b.WriteByte(')')
		closeP()
	}
}

func formatValue(b *strings.Builder, v value) {
	switch v.k {
	case kNull:
		b.WriteString("NULL")
	case kBool:
		if v.b {
			b.WriteString("TRUE")
		} else {
			b.WriteString("FALSE")
		}
	case kInt, kLong:
		b.WriteString(strconv.FormatInt(v.i, 10))
	case kDouble:
		s := strconv.FormatFloat(v.f, 'g', -1, 64)
		b.WriteString(s)
		if !strings.ContainsAny(s, ".eIN") {
			b.WriteString(".0") // keep it a floating-point literal
		}
	case kStr:
		formatString(b, string(v.s))
	}
}

func formatString(b *strings.Builder, s string) {
	b.WriteByte('\'')
	b.WriteString(strings.ReplaceAll(s, "'", "''"))
	b.WriteByte('\'')
}
