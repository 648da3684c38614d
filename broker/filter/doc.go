// Package filter implements RocketMQ's SQL92 message filter (subscription
// expressionType "SQL92"), as Apache RocketMQ 4.9.4 evaluates it on the
// broker: the grammar of filter/.../parser/SelectorParser.jj, the checks
// its expression factories make while parsing, and the evaluation rules of
// ComparisonExpression, LogicExpression and UnaryExpression against the
// message properties (broker ExpressionMessageFilter and
// MessageEvaluationContext). It is pure code: no I/O, no goroutines.
//
// # Usage
//
// Compile once per subscription; Match once per message, on the stored
// properties string, without decoding the body:
//
//	e, err := filter.Compile("age >= 20 AND sex = 'f'")
//	if err != nil {
//		// answer SUBSCRIPTION_PARSE_FAILED with err.Error() as the remark
//	}
//	if e.Match(record.Properties()) { ... deliver ... }
//
// An *Expr is immutable; Match and String are safe for concurrent use.
// Match does not allocate and does not retain the properties.
//
// # Grammar
//
// Keywords are case-insensitive: NOT AND OR BETWEEN IN IS NULL TRUE FALSE.
// Whitespace is space, tab, CR, LF and FF; comments run from "--" to the
// end of the line and between "/*" and "*/".
//
//	selector := or
//	or       := and ( OR and )*
//	and      := eq ( AND eq )*
//	eq       := cmp ( '=' cmp | '<>' cmp | IS NULL | IS NOT NULL )*
//	cmp      := unary ( '>' unary | '>=' unary | '<' unary | '<=' unary
//	                  | [NOT] BETWEEN unary AND unary
//	                  | [NOT] IN '(' string ( ',' string )* ')' )*
//	unary    := '+' unary | '-' unary | NOT unary | primary
//	primary  := literal | property | '(' or ')'
//	property := [A-Za-z_$] [A-Za-z0-9_$]*        (not a keyword)
//	literal  := string | integer | float | TRUE | FALSE | NULL
//	string   := "'" ( "''" | any character but "'" )* "'"
//	integer  := "0" | [1-9] [0-9]* [lL]?          (Integer if it fits an int, else Long)
//	float    := [0-9]+ "." [0-9]* exp? | "." [0-9]+ exp? | [0-9]+ exp
//	exp      := [eE] [+-]? [0-9]+
//
// There is no hex or octal literal ("007" is not a number), no LIKE, no
// arithmetic, and a property name cannot hold '.' or '-'. The 5.x
// operators CONTAINS, STARTSWITH and ENDSWITH (added in RocketMQ 5.1.3)
// are not in 4.9's grammar and not here.
//
// Precedence follows the grammar, which binds NOT tighter than any
// comparison: "NOT a = 1" is "(NOT a) = 1", which never matches, and
// "NOT a > 1" is rejected; write NOT (a = 1).
//
// Compile also rejects, as Java does while parsing: an expression that is
// not a condition ('abc', 5, -a); AND, OR or NOT applied to a string or a
// number; the NULL literal as an operand of = or <> (use IS NULL); TRUE or
// FALSE compared with a constant that is not a boolean (TRUE = 5); string,
// boolean or NULL constants and conditions as operands of < <= > >= or
// BETWEEN; BETWEEN with constant bounds in decreasing order; IN after
// anything but a property; integers beyond a long and floats beyond a
// double.
//
// Where it departs from Java, deliberately:
//   - Java ignores whatever follows the first complete expression
//     ("a = 1 b = 2" means "a = 1"); Compile rejects it.
//   - Java rejects float literals below Double.MIN_VALUE, 0.0 among them;
//     Compile accepts them.
//   - A "--" comment may end at the end of the expression.
//   - Expressions are limited to MaxLength bytes and MaxDepth levels of
//     nesting.
//   - Strings compare as bytes. Java compares the UTF-16 strings it decoded
//     from UTF-8, which differs only for malformed UTF-8 (Java turns each
//     bad sequence into U+FFFD).
//
// # Evaluation and NULL
//
// Every property is a string, or null when the message lacks it (system
// properties such as TAGS, KEYS and UNIQ_KEY are properties too). The
// logic is three-valued, TRUE, FALSE and NULL, and a message matches only
// when the result is exactly TRUE:
//
//   - A < <= > >= comparison with a null operand is NULL, and so are IN
//     and NOT IN on a missing property. x BETWEEN lo AND hi is
//     x >= lo AND x <= hi, and x NOT BETWEEN lo AND hi is x < lo OR x > hi.
//   - x = y is NULL when only x is null, FALSE when only y is null and TRUE
//     when both are; <> is its negation (NOT NULL is NULL). IS NULL and IS
//     NOT NULL are never NULL.
//   - NOT NULL is NULL. FALSE AND NULL is FALSE, TRUE AND NULL is NULL;
//     TRUE OR NULL is TRUE, FALSE OR NULL is NULL. AND and OR evaluate left
//     to right and stop at the first FALSE (AND) or TRUE (OR).
//   - A bare property used as a condition is NULL when missing and FALSE
//     when present, whatever its value (a string is not a Boolean).
//
// Comparisons convert a string property to the type of what it is
// compared with, as Java's ComparisonExpression.__compare does:
// Integer.valueOf for an integer literal in int range, Long.valueOf beyond
// it, Double.valueOf for a float literal, Boolean.valueOf ("true" in any
// letter case) for TRUE and FALSE. So a = 10 holds for "10" and "010" but
// fails on "10.0", and a > 5 fails on "3000000000" (not an int) while
// a > 5.0 takes it. Two properties compared with < <= > >= are both read
// as doubles; with = and <> they compare as strings, byte for byte. A
// number literal against a boolean is simply unequal (5 = TRUE is FALSE),
// but TRUE = a with a present is an error (Java casts the Boolean to a
// String; a = TRUE works).
//
// A conversion that fails ("abc" > 5, "1.5" = 1) is an evaluation error:
// Java throws, the broker's ExpressionMessageFilter logs it and does not
// deliver the message. The error ends the whole evaluation, even under an
// OR whose other side is TRUE, unless an operand evaluated earlier already
// decided the result (b = 1 OR a > 5 matches when b is "1").
package filter
