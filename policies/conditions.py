"""The record-condition language: parse, check against the schema, evaluate. Never `eval`.

A condition is a boolean expression over the record a rule guards and the caller's claims::

    record.partner.id == principal.partnerId
    record.warehouse.region in principal.regions
    record.stage != "LOST" and record.amount < 100000
    principal.tier == "GOLD" or not record.belowReorderPoint

Grammar (parsed by hand: twenty lines of recursive descent are easier to audit than a
parser-library dependency, and give exact error positions)::

    expr     := and ("or" and)*
    and      := not ("and" not)*
    not      := "not" not | compare
    compare  := operand [("==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not" "in") operand]
    operand  := path | literal | "[" [literal ("," literal)*] "]" | "(" expr ")"
    path     := ("record" | "principal") ("." NAME)+
    literal  := STRING | NUMBER | "true" | "false" | "null"

Evaluation is three-valued (as in SQL): a comparison that reads a missing or null value, or
values of mismatched kinds, is *unknown*; `not unknown` stays unknown; a condition holds only
when it is true. So a condition fails closed on any data it cannot judge, and never raises.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from typing import Literal as TypingLiteral

from graphql import (
    GraphQLEnumType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
)
from graphql.pyutils import Undefined

from policies.errors import PolicyError, PolicyErrorCode

Scalar = str | int | float | bool | None
Root = TypingLiteral["record", "principal"]

COMPARISON_OPERATORS = ("==", "!=", "<", "<=", ">", ">=", "in", "not in")
ORDERING_OPERATORS = ("<", "<=", ">", ">=")


class ConditionError(PolicyError):
    """A condition that does not parse or does not fit the schema; `position` is 0-based."""

    def __init__(self, message: str, source: str, position: int) -> None:
        self.reason = message
        self.source = source
        self.position = position
        super().__init__(
            PolicyErrorCode.INVALID_POLICY,
            f"condition {source!r}, column {position + 1}: {message}",
            column=position + 1,
        )


# -- syntax tree ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Literal:
    value: Scalar
    pos: int = field(default=0, compare=False)

    def __str__(self) -> str:
        if self.value is None:
            return "null"
        if isinstance(self.value, bool):
            return "true" if self.value else "false"
        if isinstance(self.value, str):
            return json.dumps(self.value, ensure_ascii=False)
        return repr(self.value)


@dataclass(frozen=True, slots=True)
class ListLiteral:
    items: tuple[Literal, ...]
    pos: int = field(default=0, compare=False)

    def __str__(self) -> str:
        return "[" + ", ".join(str(item) for item in self.items) + "]"


@dataclass(frozen=True, slots=True)
class Path:
    root: Root
    names: tuple[str, ...]
    pos: int = field(default=0, compare=False)

    @property
    def dotted(self) -> str:
        """The path below its root: `partner.id` for `record.partner.id`."""
        return ".".join(self.names)

    def __str__(self) -> str:
        return f"{self.root}.{self.dotted}"


@dataclass(frozen=True, slots=True)
class Compare:
    op: str
    left: Operand
    right: Operand
    pos: int = field(default=0, compare=False)

    def __str__(self) -> str:
        return f"{_print_operand(self.left)} {self.op} {_print_operand(self.right)}"


@dataclass(frozen=True, slots=True)
class And:
    items: tuple[Expr, ...]
    pos: int = field(default=0, compare=False)

    def __str__(self) -> str:
        return " and ".join(_wrap(item, (Or,)) for item in self.items)


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[Expr, ...]
    pos: int = field(default=0, compare=False)

    def __str__(self) -> str:
        return " or ".join(str(item) for item in self.items)


@dataclass(frozen=True, slots=True)
class Not:
    item: Expr
    pos: int = field(default=0, compare=False)

    def __str__(self) -> str:
        return "not " + _wrap(self.item, (And, Or, Compare))


Operand = Literal | ListLiteral | Path | Compare | And | Or | Not
Expr = Operand


def _wrap(expr: Expr, kinds: tuple[type, ...]) -> str:
    return f"({expr})" if isinstance(expr, kinds) else str(expr)


def _print_operand(operand: Operand) -> str:
    return _wrap(operand, (Compare, And, Or, Not))


# -- parsing -------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>==|!=|<=|>=|<|>)
  | (?P<punct>[()\[\],.])
    """,
    re.VERBOSE | re.DOTALL,
)
_KEYWORDS = {"and", "or", "not", "in", "true", "false", "null"}


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # number | string | name | keyword | op | punct | end
    text: str
    pos: int


def _tokenize(source: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(source):
        match = _TOKEN.match(source, pos)
        if match is None:
            if source[pos] in "\"'":
                raise ConditionError("unterminated string", source, pos)
            hint = " (use == for equality)" if source[pos] == "=" else ""
            raise ConditionError(f"unexpected character {source[pos]!r}{hint}", source, pos)
        kind = match.lastgroup or ""
        if kind != "space":
            text = match.group()
            if kind == "name" and text in _KEYWORDS:
                kind = "keyword"
            tokens.append(_Token(kind, text, pos))
        pos = match.end()
    tokens.append(_Token("end", "", len(source)))
    return tokens


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = _tokenize(source)
        self.index = 0

    @property
    def token(self) -> _Token:
        return self.tokens[self.index]

    def error(self, message: str, token: _Token | None = None) -> ConditionError:
        token = token or self.token
        return ConditionError(message, self.source, token.pos)

    def describe(self, token: _Token) -> str:
        return "the end of the condition" if token.kind == "end" else repr(token.text)

    def accept(self, text: str) -> _Token | None:
        token = self.token
        if token.kind in ("keyword", "op", "punct") and token.text == text:
            self.index += 1
            return token
        return None

    def expect(self, text: str, what: str) -> _Token:
        token = self.accept(text)
        if token is None:
            raise self.error(f"expected {what}, found {self.describe(self.token)}")
        return token

    def parse(self) -> Expr:
        if self.token.kind == "end":
            raise self.error("the condition is empty")
        expr = self.parse_or()
        if self.token.kind != "end":
            raise self.error(
                f"unexpected {self.describe(self.token)} (join conditions with and / or)"
            )
        return expr

    def parse_or(self) -> Expr:
        start = self.token.pos
        items = [self.parse_and()]
        while self.accept("or"):
            items.append(self.parse_and())
        return items[0] if len(items) == 1 else Or(tuple(items), start)

    def parse_and(self) -> Expr:
        start = self.token.pos
        items = [self.parse_not()]
        while self.accept("and"):
            items.append(self.parse_not())
        return items[0] if len(items) == 1 else And(tuple(items), start)

    def parse_not(self) -> Expr:
        token = self.accept("not")
        if token is not None:
            return Not(self.parse_not(), token.pos)
        return self.parse_compare()

    def parse_compare(self) -> Expr:
        left = self.parse_operand()
        token = self.token
        if token.kind == "op" or (token.kind == "keyword" and token.text == "in"):
            self.index += 1
            return Compare(token.text, left, self.parse_operand(), token.pos)
        if token.kind == "keyword" and token.text == "not":
            following = self.tokens[self.index + 1]
            if following.kind == "keyword" and following.text == "in":
                self.index += 2
                return Compare("not in", left, self.parse_operand(), token.pos)
        return left

    def parse_operand(self) -> Operand:
        token = self.token
        if self.accept("("):
            inner = self.parse_or()
            self.expect(")", "')'")
            return inner
        if self.accept("["):
            items: list[Literal] = []
            if not self.accept("]"):
                items.append(self.parse_literal("a literal value in the list"))
                while self.accept(","):
                    items.append(self.parse_literal("a literal value in the list"))
                self.expect("]", "',' or ']'")
            return ListLiteral(tuple(items), token.pos)
        if token.kind == "name":
            return self.parse_path()
        return self.parse_literal("a value: record.FIELD, principal.CLAIM, a string or a number")

    def parse_path(self) -> Path:
        token = self.token
        if token.text not in ("record", "principal"):
            raise self.error(
                f"unknown name {token.text!r}: paths start with record. or principal."
                " (quote strings)"
            )
        self.index += 1
        names: list[str] = []
        while self.accept("."):
            name = self.token
            if name.kind not in ("name", "keyword"):
                raise self.error(f"expected a field name after '.', found {self.describe(name)}")
            names.append(name.text)
            self.index += 1
        if not names:
            raise self.error(f"expected '.' and a field name after {token.text!r}")
        root: Root = "record" if token.text == "record" else "principal"
        return Path(root, tuple(names), token.pos)

    def parse_literal(self, what: str) -> Literal:
        token = self.token
        if token.kind == "string":
            try:
                text = _unquote(token.text)
            except ValueError:
                raise self.error('invalid escape in string (use \\\\, \\" or \\uXXXX)') from None
            self.index += 1
            return Literal(text, token.pos)
        if token.kind == "number":
            self.index += 1
            number = float(token.text) if any(c in token.text for c in ".eE") else int(token.text)
            return Literal(number, token.pos)
        if token.kind == "keyword" and token.text in ("true", "false", "null"):
            self.index += 1
            constant = None if token.text == "null" else token.text == "true"
            return Literal(constant, token.pos)
        raise self.error(f"expected {what}, found {self.describe(token)}")


def _unquote(text: str) -> str:
    """A string literal's value; escapes are JSON's (`\\"`, `\\n`, `\\u00e9`), plus `\\'`."""
    if text[0] == "'":
        body = re.sub(r"\\.|\"", lambda m: {"\\'": "'", '"': '\\"'}.get(m[0], m[0]), text[1:-1])
        text = f'"{body}"'
    return str(json.loads(text, strict=False))


def parse_condition(source: str) -> Expr:
    """Parse a condition; raise `ConditionError` with the column of the first problem."""
    return _Parser(source).parse()


# -- reading -------------------------------------------------------------------------------


def _walk(expr: Expr) -> list[Expr]:
    nodes: list[Expr] = [expr]
    if isinstance(expr, Compare):
        nodes += _walk(expr.left) + _walk(expr.right)
    elif isinstance(expr, And | Or):
        for item in expr.items:
            nodes += _walk(item)
    elif isinstance(expr, Not):
        nodes += _walk(expr.item)
    return nodes


def referenced_fields(condition: Expr) -> set[str]:
    """The record fields a condition reads, as dotted paths (`partner.id`): fetch these."""
    return {n.dotted for n in _walk(condition) if isinstance(n, Path) and n.root == "record"}


def referenced_claims(condition: Expr) -> set[str]:
    """The principal claims a condition reads (`partnerId`, `regions`, ...)."""
    return {n.dotted for n in _walk(condition) if isinstance(n, Path) and n.root == "principal"}


# -- type checking -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Kind:
    """What a value is, for checking: string | number | boolean | enum | null, maybe a list."""

    name: str
    is_list: bool = False
    enum: GraphQLEnumType | None = None

    def __str__(self) -> str:
        base = f"enum {self.enum.name}" if self.enum else self.name
        return f"a list of {base}" if self.is_list else base

    def element(self) -> _Kind:
        return _Kind(self.name, False, self.enum)


CLAIM_KINDS: Mapping[str, _Kind] = {
    "subject": _Kind("string"),
    "partnerId": _Kind("string"),
    "partnerKind": _Kind("string"),
    "tier": _Kind("string"),
    "regions": _Kind("string", is_list=True),
    "roles": _Kind("string", is_list=True),
    "anonymous": _Kind("boolean"),
}
"""The claims of `Principal.claims()` and their kinds."""

_NUMBER_SCALARS = {"Int", "Float"}


def _scalar_kind(named: GraphQLScalarType | GraphQLEnumType) -> _Kind:
    if isinstance(named, GraphQLEnumType):
        return _Kind("enum", enum=named)
    if named.name in _NUMBER_SCALARS:
        return _Kind("number")
    if named.name == "Boolean":
        return _Kind("boolean")
    return _Kind("string")  # String, ID and custom scalars (dates serialize as ISO strings)


class _Checker:
    def __init__(self, source: str, schema: GraphQLSchema, type_name: str | None) -> None:
        self.source = source
        self.schema = schema
        self.type_name = type_name

    def error(self, message: str, node: Expr) -> ConditionError:
        return ConditionError(message, self.source, node.pos)

    def check(self, expr: Expr) -> None:
        if isinstance(expr, And | Or):
            for item in expr.items:
                self.check(item)
        elif isinstance(expr, Not):
            self.check(expr.item)
        elif isinstance(expr, Compare):
            self.check_compare(expr)
        else:
            kind = self.kind_of(expr)
            if kind.name != "boolean" or kind.is_list:
                raise self.error(
                    f"{expr} is {kind}, not a condition: compare it (==, !=, <, in ...)", expr
                )

    def check_compare(self, node: Compare) -> None:
        if isinstance(node.left, Compare | And | Or | Not):
            raise self.error("cannot compare a condition; use and / or / not", node.left)
        if isinstance(node.right, Compare | And | Or | Not):
            raise self.error("cannot compare a condition; use and / or / not", node.right)
        left = self.kind_of(node.left)
        right = self.kind_of(node.right)
        if node.op in ("in", "not in"):
            if not right.is_list:
                raise self.error(f"'{node.op}' needs a list on its right, not {right}", node.right)
            if left.is_list:
                raise self.error(f"'{node.op}' needs a single value on its left", node.left)
            self.check_comparable(node, node.left, left, node.right, right.element())
            return
        if left.is_list or right.is_list:
            side = node.left if left.is_list else node.right
            raise self.error(f"cannot compare a list with {node.op}; use 'in'", side)
        self.check_comparable(node, node.left, left, node.right, right)
        if node.op in ORDERING_OPERATORS and left.name not in ("number", "string"):
            raise self.error(f"{node.op} orders numbers and strings, not {left}", node)

    def check_comparable(
        self, node: Compare, left_node: Operand, left: _Kind, right_node: Operand, right: _Kind
    ) -> None:
        for side, kind in ((left_node, left), (right_node, right)):
            if kind.name == "null":
                raise self.error(
                    "null never compares true: a missing or null value already makes a "
                    "comparison false",
                    side,
                )
        if left.enum is not None or right.enum is not None:
            self.check_enum(node, left_node, left, right_node, right)
            return
        if left.name != right.name:
            raise self.error(f"cannot compare {left} with {right}", node)

    def check_enum(
        self, node: Compare, left_node: Operand, left: _Kind, right_node: Operand, right: _Kind
    ) -> None:
        enum_kind, other_node, other = (
            (left, right_node, right) if left.enum is not None else (right, left_node, left)
        )
        assert enum_kind.enum is not None
        if other.enum is not None:
            if other.enum.name != enum_kind.enum.name:
                raise self.error(f"cannot compare {left} with {right}", node)
            return
        if other.name != "string":
            raise self.error(f"cannot compare {left} with {right}", node)
        literals = list(other_node.items) if isinstance(other_node, ListLiteral) else [other_node]
        for literal in literals:
            if isinstance(literal, Literal) and literal.value not in enum_kind.enum.values:
                allowed = ", ".join(enum_kind.enum.values)
                raise self.error(
                    f"{literal} is not a value of enum {enum_kind.enum.name} ({allowed})", literal
                )

    def kind_of(self, operand: Operand) -> _Kind:
        if isinstance(operand, Literal):
            return self.literal_kind(operand)
        if isinstance(operand, ListLiteral):
            kinds = {self.literal_kind(item) for item in operand.items}
            if len(kinds) > 1:
                raise self.error("a list mixes values of different kinds", operand)
            element = kinds.pop() if kinds else _Kind("string")
            return _Kind(element.name, True)
        if isinstance(operand, Path):
            return self.path_kind(operand)
        return _Kind("boolean")

    def literal_kind(self, literal: Literal) -> _Kind:
        value = literal.value
        if value is None:
            return _Kind("null")
        if isinstance(value, bool):
            return _Kind("boolean")
        if isinstance(value, int | float):
            return _Kind("number")
        return _Kind("string")

    def path_kind(self, path: Path) -> _Kind:
        if path.root == "principal":
            kind = CLAIM_KINDS.get(path.dotted)
            if kind is None:
                known = ", ".join(CLAIM_KINDS)
                raise self.error(f"unknown claim principal.{path.dotted} (known: {known})", path)
            return kind
        if self.type_name is None:
            raise self.error("this rule has no record to read: record.* is not available", path)
        parent = self.schema.get_type(self.type_name)
        if parent in (
            self.schema.query_type,
            self.schema.mutation_type,
            self.schema.subscription_type,
        ):
            raise self.error(
                f"{self.type_name} is a root type: it has no records, use principal.* only",
                path,
            )
        is_list = False
        for index, name in enumerate(path.names):
            where = ".".join(path.names[:index]) or "record"
            if is_list:
                raise self.error(f"{where} is a list: a path cannot go through it", path)
            if not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
                raise self.error(f"{where} has no fields (it is {parent})", path)
            gql_field = parent.fields.get(name)
            if gql_field is None:
                raise self.error(f"{parent.name} has no field {name!r}", path)
            required = [
                arg
                for arg, definition in gql_field.args.items()
                if isinstance(definition.type, GraphQLNonNull)
                and definition.default_value is Undefined
            ]
            if required:
                raise self.error(
                    f"{parent.name}.{name} takes required arguments ({', '.join(required)})", path
                )
            field_type = gql_field.type
            if isinstance(field_type, GraphQLNonNull):
                field_type = field_type.of_type
            if isinstance(field_type, GraphQLList):
                is_list = True
                field_type = field_type.of_type
                while isinstance(field_type, GraphQLNonNull | GraphQLList):
                    field_type = field_type.of_type
            parent = field_type
        if isinstance(parent, GraphQLScalarType | GraphQLEnumType):
            kind = _scalar_kind(parent)
            return _Kind(kind.name, is_list, kind.enum)
        if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType):
            raise self.error(
                f"record.{path.dotted} is an object ({parent.name}); name one of its fields,"
                f" e.g. record.{path.dotted}.id",
                path,
            )
        raise self.error(f"record.{path.dotted} cannot be compared", path)


def check_condition(
    condition: Expr, source: str, schema: GraphQLSchema, type_name: str | None
) -> None:
    """Check a parsed condition against the API schema, for records of `type_name`.

    Raise `ConditionError` (with the column) for an unknown field or claim, values that
    cannot be compared, an enum value the enum does not have, or a non-boolean condition.
    `type_name` None means the rule has no record (record.* is refused).
    """
    _Checker(source, schema, type_name).check(condition)


# -- evaluation ----------------------------------------------------------------------------


def _resolve(path: Path, record: Mapping[str, Any], claims: Mapping[str, Any]) -> Any:
    value: Any = record if path.root == "record" else claims
    for name in path.names:
        if not isinstance(value, Mapping):
            return None  # missing: the comparison reading it is unknown
        value = value.get(name)
    return value


def _value(operand: Operand, record: Mapping[str, Any], claims: Mapping[str, Any]) -> Any:
    if isinstance(operand, Literal):
        return operand.value
    if isinstance(operand, ListLiteral):
        return [item.value for item in operand.items]
    if isinstance(operand, Path):
        return _resolve(operand, record, claims)
    return _truth(operand, record, claims)


def _same_kind(left: Any, right: Any) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool)
    if isinstance(left, int | float) and isinstance(right, int | float):
        return not (isinstance(left, float) and math.isnan(left)) and not (
            isinstance(right, float) and math.isnan(right)
        )
    return isinstance(left, str) and isinstance(right, str)


def _compare(op: str, left: Any, right: Any) -> bool | None:
    if op in ("in", "not in"):
        if left is None or not isinstance(right, list | tuple):
            return None
        found = any(_same_kind(left, item) and left == item for item in right)
        if not found and any(item is None or not _same_kind(left, item) for item in right):
            return None  # cannot tell whether an unreadable item would have matched
        return found if op == "in" else not found
    if left is None or right is None or not _same_kind(left, right):
        return None
    if op == "==":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    if op == "<":
        return bool(left < right)
    if op == "<=":
        return bool(left <= right)
    if op == ">":
        return bool(left > right)
    if op == ">=":
        return bool(left >= right)
    return None


def _truth(expr: Expr, record: Mapping[str, Any], claims: Mapping[str, Any]) -> bool | None:
    if isinstance(expr, Compare):
        left = _value(expr.left, record, claims)
        right = _value(expr.right, record, claims)
        return _compare(expr.op, left, right)
    if isinstance(expr, And):
        results = [_truth(item, record, claims) for item in expr.items]
        if False in results:
            return False
        return True if all(result is True for result in results) else None
    if isinstance(expr, Or):
        results = [_truth(item, record, claims) for item in expr.items]
        if True in results:
            return True
        return False if all(result is False for result in results) else None
    if isinstance(expr, Not):
        inner = _truth(expr.item, record, claims)
        return None if inner is None else not inner
    value = _value(expr, record, claims)
    return value if isinstance(value, bool) else None


def truth(condition: Expr, record: Mapping[str, Any], claims: Mapping[str, Any]) -> bool | None:
    """Three-valued result: True, False, or None (unknown: missing, null or mismatched data)."""
    try:
        return _truth(condition, record, claims)
    except Exception:  # data we cannot judge never lets a record through
        return None


def evaluate(condition: Expr, record: Mapping[str, Any], claims: Mapping[str, Any]) -> bool:
    """Whether the condition holds for this record and these claims; unknown counts as false."""
    return truth(condition, record, claims) is True


# -- partial evaluation (for compiled views) -----------------------------------------------


def _claim_literal(value: Any, pos: int) -> Literal | ListLiteral:
    if isinstance(value, list | tuple):
        return ListLiteral(tuple(Literal(item, pos) for item in value), pos)
    if value is None or isinstance(value, str | int | float | bool):
        return Literal(value, pos)
    return Literal(None, pos)


def bind_principal(condition: Expr, claims: Mapping[str, Any]) -> Expr:
    """Put the caller's claim values into the condition and fold what is then constant.

    The result reads only `record.*`; a result that is a `Literal` is constant: `true`,
    `false`, or `null` (unknown, which counts as false).
    """
    return _simplify(_substitute(condition, claims))


def _substitute(expr: Expr, claims: Mapping[str, Any]) -> Expr:
    if isinstance(expr, Path) and expr.root == "principal":
        return _claim_literal(claims.get(expr.dotted), expr.pos)
    if isinstance(expr, Compare):
        return Compare(
            expr.op, _substitute(expr.left, claims), _substitute(expr.right, claims), expr.pos
        )
    if isinstance(expr, And):
        return And(tuple(_substitute(item, claims) for item in expr.items), expr.pos)
    if isinstance(expr, Or):
        return Or(tuple(_substitute(item, claims) for item in expr.items), expr.pos)
    if isinstance(expr, Not):
        return Not(_substitute(expr.item, claims), expr.pos)
    return expr


def _is_constant(expr: Expr) -> bool:
    return isinstance(expr, Literal | ListLiteral) or (
        isinstance(expr, Compare) and _is_constant(expr.left) and _is_constant(expr.right)
    )


def _simplify(expr: Expr) -> Expr:
    if isinstance(expr, Compare):
        if _is_constant(expr):
            return Literal(truth(expr, {}, {}), expr.pos)
        if any(
            isinstance(side, Literal) and side.value is None for side in (expr.left, expr.right)
        ):
            return Literal(None, expr.pos)  # a comparison with null is never true
        return expr
    if isinstance(expr, Not):
        inner = _simplify(expr.item)
        if isinstance(inner, Literal):
            return Literal(None if not isinstance(inner.value, bool) else not inner.value)
        return Not(inner, expr.pos)
    if isinstance(expr, And | Or):
        return _simplify_junction(expr)
    if isinstance(expr, Literal) and not isinstance(expr.value, bool):
        return Literal(None, expr.pos)  # a bare non-boolean constant is not a condition
    return expr


def _simplify_junction(expr: And | Or) -> Expr:
    absorbing = isinstance(expr, Or)  # `true` absorbs an or, `false` absorbs an and
    items: list[Expr] = []
    unknown = False
    for item in (_simplify(item) for item in expr.items):
        if isinstance(item, Literal):
            if item.value is absorbing:
                return Literal(absorbing, expr.pos)
            if item.value is None:
                unknown = True
            continue  # the neutral constant drops out
        items.append(item)
    if unknown:
        items.append(Literal(None, expr.pos))
    if not items:
        return Literal(not absorbing, expr.pos)
    if len(items) == 1:
        return items[0]
    return type(expr)(tuple(items), expr.pos)


def conjunction(items: list[Expr]) -> Expr:
    """`a and b and ...`, folded; `true` for none."""
    return _simplify(And(tuple(items))) if items else Literal(True)


def disjunction(items: list[Expr]) -> Expr:
    """`a or b or ...`, folded; `false` for none."""
    return _simplify(Or(tuple(items))) if items else Literal(False)


def negation(item: Expr) -> Expr:
    return _simplify(Not(item))
