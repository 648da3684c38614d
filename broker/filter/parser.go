package filter

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Compile parses a SQL92 filter expression (expressionType "SQL92") into
// an Expr, applying the checks 4.9.4's SelectorParser and the expression
// factories make while parsing. A rejected expression gives a *SyntaxError
// (errors.Is ErrSyntax) that says what is wrong and at which line and
// column.
//
// Compile is meant to run once per subscription, not per message; it
// allocates. It is safe for concurrent use.
func Compile(expr string) (*Expr, error) {
	if len(expr) > MaxLength {
		err := newSyntaxError(expr, MaxLength, "expression is "+strconv.Itoa(len(expr))+
			" bytes long; the limit is "+strconv.Itoa(MaxLength))
		err.tooComplex = true
		return nil, err
	}
	p := &parser{lx: lexer{src: expr}, e: &Expr{src: expr}}
	p.advance()
	root := p.orExpr()
	if p.err == nil {
		root = p.asCondition(root)
	}
	if p.err == nil && p.tok.kind != tEOF {
		// Java's parser stops after the first complete expression and
		// ignores the rest, so "a = 1 b = 2" would mean "a = 1". We refuse
		// rather than drop part of what the client asked for.
		p.fail(p.tok.off, "unexpected "+p.describe(p.tok)+" after a complete expression"+p.hint(p.tok))
	}
	if p.err != nil {
		return nil, p.err
	}
	markPropConst(root)
	p.e.root = root
	return p.e, nil
}

// markPropConst sets propConst on the comparisons of a property with
// constants.
func markPropConst(n *node) {
	for _, k := range n.kids {
		markPropConst(k)
	}
	switch n.op {
	case opEq, opNe, opLt, opLe, opGt, opGe, opBetween, opNotBetween:
		n.propConst = n.kids[0].op == opProp
		for _, k := range n.kids[1:] {
			n.propConst = n.propConst && k.hasVal
		}
	}
}

// parser is a recursive-descent parser for 4.9.4's grammar. Each method
// returns nil once p.err is set, and callers check p.err.
type parser struct {
	lx    lexer
	tok   token // the current token
	ahead token // the token after tok, when hasAhead
	// hasAhead is set while ahead holds a token read for two-token
	// lookahead (NOT BETWEEN, NOT IN).
	hasAhead bool
	nesting  int            // current recursion depth of unary/primary
	slots    map[string]int // property name to slot
	e        *Expr
	err      *SyntaxError
}

func (p *parser) advance() {
	if p.hasAhead {
		p.tok, p.hasAhead = p.ahead, false
		return
	}
	p.tok = p.lx.next()
	if p.lx.err != nil && p.err == nil {
		p.err = p.lx.err
	}
}

// peek returns the token after p.tok.
func (p *parser) peek() token {
	if !p.hasAhead {
		p.ahead, p.hasAhead = p.lx.next(), true
		if p.lx.err != nil && p.err == nil {
			p.err = p.lx.err
		}
	}
	return p.ahead
}

func (p *parser) fail(off int, msg string) {
	if p.err == nil {
		p.err = newSyntaxError(p.lx.src, off, msg)
	}
}

// failTooDeep reports nesting beyond MaxDepth at off.
func (p *parser) failTooDeep(off int) {
	if p.err == nil {
		p.fail(off, "expression nested more than "+strconv.Itoa(MaxDepth)+" levels deep")
		p.err.tooComplex = true
	}
}

func (p *parser) failNode(n *node, msg string) {
	p.fail(n.off, msg)
}

func (p *parser) describe(t token) string {
	switch t.kind {
	case tEOF:
		return "end of expression"
	case tIdent:
		return "'" + t.text + "'"
	case tString, tInt, tFloat:
		return p.lx.src[t.off:t.end]
	}
	return t.kind.describe()
}

// hint adds advice for constructs people try that RocketMQ lacks.
func (p *parser) hint(t token) string {
	if t.kind != tIdent {
		return ""
	}
	switch strings.ToUpper(t.text) {
	case "LIKE":
		return " (LIKE is not supported by RocketMQ's SQL92 filter)"
	case "CONTAINS", "STARTSWITH", "ENDSWITH":
		return " (" + strings.ToUpper(t.text) + " is a RocketMQ 5.x operator; this broker implements 4.9's grammar)"
	}
	return ""
}

// expect consumes a token of kind k or fails.
func (p *parser) expect(k tokKind, what string) bool {
	if p.err != nil {
		return false
	}
	if p.tok.kind != k {
		p.fail(p.tok.off, "expected "+what+" but found "+p.describe(p.tok)+p.hint(p.tok))
		return false
	}
	p.advance()
	return true
}

// newNode builds a node over kids, enforcing MaxDepth.
func (p *parser) newNode(o op, off, end int, kids ...*node) *node {
	n := &node{op: o, kids: kids, off: off, end: end, depth: 1}
	for _, k := range kids {
		if k.depth+1 > n.depth {
			n.depth = k.depth + 1
		}
	}
	if n.depth > MaxDepth {
		p.failTooDeep(off)
	}
	return n
}

// orExpr := andExpr ( OR andExpr )*
func (p *parser) orExpr() *node {
	left := p.andExpr()
	for p.err == nil && p.tok.kind == tOr {
		p.advance()
		right := p.andExpr()
		if p.err != nil {
			return nil
		}
		left = p.logic(opOr, p.asCondition(left), p.asCondition(right))
	}
	if p.err != nil {
		return nil
	}
	return left
}

// andExpr := eqExpr ( AND eqExpr )*
func (p *parser) andExpr() *node {
	left := p.eqExpr()
	for p.err == nil && p.tok.kind == tAnd {
		p.advance()
		right := p.eqExpr()
		if p.err != nil {
			return nil
		}
		left = p.logic(opAnd, p.asCondition(left), p.asCondition(right))
	}
	if p.err != nil {
		return nil
	}
	return left
}

// logic joins two conditions with AND or OR, flattening chains: Java's
// evaluation of ((a AND b) AND c) and of a AND (b AND c) visits the
// operands in order and stops at the first FALSE (TRUE for OR), which is
// what the flat node does.
func (p *parser) logic(o op, l, r *node) *node {
	if p.err != nil {
		return nil
	}
	rkids := []*node{r}
	if r.op == o {
		rkids = r.kids
	}
	if l.op == o {
		// l is owned by this parse (a chain being built, or a fresh copy
		// from parentheses): extend it in place, so a long chain costs
		// linear time.
		l.kids = append(l.kids, rkids...)
		l.end = r.end
		for _, k := range rkids {
			if k.depth+1 > l.depth {
				l.depth = k.depth + 1
			}
		}
		if l.depth > MaxDepth {
			p.failTooDeep(l.off)
		}
		return l
	}
	return p.newNode(o, l.off, r.end, append([]*node{l}, rkids...)...)
}

// asCondition is Java's asBooleanExpression: a condition stays as it is, a
// property is cast to boolean, anything else is an error.
func (p *parser) asCondition(n *node) *node {
	if p.err != nil {
		return nil
	}
	if n.isCondition() {
		return n
	}
	if n.op == opProp {
		return p.newNode(opCast, n.off, n.end, n)
	}
	p.failNode(n, "expected a condition (a comparison, IN, BETWEEN, IS NULL, a property, TRUE or FALSE) but found "+p.snippet(n))
	return nil
}

// snippet quotes the source of n for an error message.
func (p *parser) snippet(n *node) string {
	s := p.lx.src[n.off:n.end]
	if len(s) > 40 {
		cut := 37
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "..."
	}
	if strings.HasPrefix(s, "'") {
		return s // a string literal is quoted already
	}
	return "'" + s + "'"
}

// eqExpr := cmpExpr ( '=' cmpExpr | '<>' cmpExpr | IS NULL | IS NOT NULL )*
func (p *parser) eqExpr() *node {
	left := p.cmpExpr()
	for p.err == nil {
		t := p.tok
		switch t.kind {
		case tEq, tNe:
			p.advance()
			right := p.cmpExpr()
			if p.err != nil {
				return nil
			}
			left = p.equal(t, left, right)
		case tIs:
			p.advance()
			o := opIsNull
			if p.tok.kind == tNot {
				o = opIsNotNull
				p.advance()
			}
			end := p.tok.end
			if !p.expect(tNull, "NULL or NOT NULL after IS") {
				return nil
			}
			left = p.newNode(o, left.off, end, left)
		default:
			return left
		}
	}
	return nil
}

// equal builds = or <> after ComparisonExpression.createEqual's checks:
// neither side may be the NULL literal, and TRUE or FALSE on the left of a
// constant that is not a boolean is an error (Java checks only that
// order).
func (p *parser) equal(t token, l, r *node) *node {
	for _, n := range [2]*node{l, r} {
		if n.op == opConst && n.val.k == kNull {
			p.failNode(n, "NULL cannot be compared with "+t.kind.describe()+"; use IS NULL or IS NOT NULL")
			return nil
		}
	}
	if l.op == opConst && r.op == opConst && l.val.k == kBool && r.val.k != kBool {
		p.failNode(l, p.snippet(l)+" cannot be compared with "+p.snippet(r))
		return nil
	}
	o := opEq
	if t.kind == tNe {
		o = opNe
	}
	return p.newNode(o, l.off, r.end, l, r)
}

// comparable is ComparisonExpression.checkLessThanOperand: an operand of
// < <= > >= (and so of BETWEEN) may not be a string, boolean or NULL
// constant, nor a condition.
func (p *parser) comparable(t token, n *node) bool {
	if n.op == opConst {
		if n.val.numeric() {
			return true
		}
		p.failNode(n, p.snippet(n)+" cannot be compared with "+t.kind.describe()+": only numbers, properties and negated values can")
		return false
	}
	if n.isCondition() {
		p.failNode(n, "the condition "+p.snippet(n)+" cannot be compared with "+t.kind.describe()+"; put the comparison in parentheses or use AND")
		return false
	}
	return true
}

// cmpExpr := unary ( ('>'|'>='|'<'|'<=') unary | [NOT] BETWEEN unary AND unary
//
//	| [NOT] IN '(' string (',' string)* ')' )*
func (p *parser) cmpExpr() *node {
	left := p.unary()
	for p.err == nil {
		t := p.tok
		not := false
		switch t.kind {
		case tGt, tGe, tLt, tLe:
			p.advance()
			right := p.unary()
			if p.err != nil || !p.comparable(t, left) || !p.comparable(t, right) {
				return nil
			}
			left = p.newNode(relOp(t.kind), left.off, right.end, left, right)
			continue
		case tNot:
			switch p.peek().kind {
			case tBetween, tIn:
			default:
				if p.err == nil {
					p.fail(p.ahead.off, "expected BETWEEN or IN after NOT but found "+p.describe(p.ahead)+p.hint(p.ahead))
				}
				return nil
			}
			p.advance()
			not = true
		case tBetween, tIn:
		default:
			return left
		}
		if p.tok.kind == tBetween {
			left = p.between(p.tok, left, not)
		} else {
			left = p.in(left, not)
		}
	}
	return nil
}

func relOp(k tokKind) op {
	switch k {
	case tGt:
		return opGt
	case tGe:
		return opGe
	case tLt:
		return opLt
	}
	return opLe
}

// between parses "lo AND hi" after BETWEEN. Java builds x >= lo AND x <= hi
// (NOT BETWEEN: x < lo OR x > hi), with checkLessThanOperand on x and both
// bounds, and for BETWEEN with two constant bounds requires lo <= hi.
func (p *parser) between(t token, x *node, not bool) *node {
	p.advance()
	lo := p.unary()
	if !p.expect(tAnd, "AND between the bounds of BETWEEN") {
		return nil
	}
	hi := p.unary()
	if p.err != nil || !p.comparable(t, x) || !p.comparable(t, lo) || !p.comparable(t, hi) {
		return nil
	}
	if !not && lo.op == opConst && hi.op == opConst {
		if c, ok := compare(&hi.val, &lo.val); !ok || c < 0 {
			p.failNode(lo, "BETWEEN bounds out of order: "+p.snippet(lo)+" is greater than "+p.snippet(hi))
			return nil
		}
	}
	o := opBetween
	if not {
		o = opNotBetween
	}
	return p.newNode(o, x.off, hi.end, x, lo, hi)
}

// in parses "( 'a', 'b' ... )" after IN. Java requires a property on the
// left.
func (p *parser) in(x *node, not bool) *node {
	if x.op != opProp {
		p.failNode(x, "IN needs a property on its left, found "+p.snippet(x))
		return nil
	}
	p.advance() // IN
	if !p.expect(tLParen, "'(' after IN") {
		return nil
	}
	n := p.newNode(opIn, x.off, x.end, x)
	if not {
		n.op = opNotIn
	}
	for {
		if p.tok.kind != tString {
			p.fail(p.tok.off, "expected a string literal in the IN list but found "+p.describe(p.tok))
			return nil
		}
		n.list = append(n.list, p.tok.text)
		p.advance()
		if p.err != nil {
			return nil
		}
		if p.tok.kind != tComma {
			break
		}
		p.advance()
	}
	n.end = p.tok.end
	if !p.expect(tRParen, "',' or ')' in the IN list") {
		return nil
	}
	if len(n.list) > inLinearMax {
		n.set = make(map[string]struct{}, len(n.list))
		for _, s := range n.list {
			n.set[s] = struct{}{}
		}
	}
	return n
}

// inLinearMax is the longest IN list matched by scanning; longer ones use
// a map.
const inLinearMax = 8

// unary := '+' unary | '-' unary | NOT unary | primary
func (p *parser) unary() *node {
	p.nesting++
	defer func() { p.nesting-- }()
	if p.nesting > MaxDepth {
		p.failTooDeep(p.tok.off)
		return nil
	}
	t := p.tok
	switch t.kind {
	case tPlus:
		// Java returns the operand itself: +x is x.
		p.advance()
		return p.unary()
	case tMinus:
		p.advance()
		x := p.unary()
		if p.err != nil {
			return nil
		}
		n := p.newNode(opNeg, t.off, x.end, x)
		if x.hasVal {
			n.hasVal, n.val = true, negate(x.val)
		}
		return n
	case tNot:
		p.advance()
		x := p.asCondition(p.unary())
		if p.err != nil {
			return nil
		}
		return p.newNode(opNot, t.off, x.end, x)
	}
	return p.primary()
}

// primary := literal | property | '(' orExpr ')'
func (p *parser) primary() *node {
	if p.err != nil {
		return nil
	}
	t := p.tok
	switch t.kind {
	case tIdent:
		p.advance()
		n := p.newNode(opProp, t.off, t.end)
		n.name = t.text
		slot, ok := p.slots[t.text]
		if !ok {
			if p.slots == nil {
				p.slots = make(map[string]int)
			}
			slot = len(p.e.names)
			p.slots[t.text] = slot
			p.e.names = append(p.e.names, t.text)
			if slot < memoSlots {
				p.e.first[t.text[0]] |= 1 << slot
			}
		}
		n.slot = slot
		return n
	case tLParen:
		p.advance()
		x := p.orExpr()
		if p.err != nil {
			return nil
		}
		end := p.tok.end
		if !p.expect(tRParen, "')'") {
			return nil
		}
		// Java returns the inner expression itself; only the span of this
		// copy grows, for messages.
		c := *x
		c.off, c.end = t.off, end
		return &c
	case tString, tInt, tFloat, tTrue, tFalse, tNull:
		p.advance()
		n := p.newNode(opConst, t.off, t.end)
		n.hasVal = true
		switch t.kind {
		case tString:
			n.val = value{k: kStr, s: []byte(t.text)}
		case tInt:
			n.val = p.intLiteral(t)
		case tFloat:
			n.val = p.floatLiteral(t)
		case tTrue:
			n.val = value{k: kBool, b: true}
		case tFalse:
			n.val = value{k: kBool}
		}
		return n
	}
	p.fail(t.off, "expected a property, a literal, '(', NOT, '+' or '-' but found "+p.describe(t)+p.hint(t))
	return nil
}

// intLiteral is ConstantExpression.createFromDecimal: an optional l or L
// is dropped, the value must fit a long, and it is an Integer when it
// fits an int.
func (p *parser) intLiteral(t token) value {
	s := strings.TrimRight(t.text, "lL")
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		p.fail(t.off, "integer "+t.text+" is out of range (the largest is 9223372036854775807)")
		return value{}
	}
	if v <= math.MaxInt32 {
		return value{k: kInt, i: v}
	}
	return value{k: kLong, i: v}
}

// floatLiteral is ConstantExpression.createFloat: a double, which must be
// finite. (Java also rejects values below Double.MIN_VALUE, which takes in
// 0.0 and is a bug; Quiver accepts them, rounded as Double.valueOf does.)
func (p *parser) floatLiteral(t token) value {
	f, err := strconv.ParseFloat(t.text, 64)
	if err != nil || math.IsInf(f, 0) {
		p.fail(t.off, "number "+t.text+" is out of range (the largest is 1.7976931348623157E308)")
		return value{}
	}
	return value{k: kDouble, f: f}
}
