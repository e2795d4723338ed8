"""The fetch dependency graph: the fetches a plan will make, what each selects, and which
must finish before which. The traversal fills it; `optimize` tidies it; `build` emits it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import count

from gateway.planner.errors import PlanningError
from gateway.planner.operation import Cond, Conds
from gateway.planner.plan import FieldSelection, InlineFragment, Rewrite, Selection


@dataclass(eq=False)
class FieldBuild:
    """A field in a fetch being built. `alias` is set when the response key is not the
    name."""

    name: str
    alias: str | None = None
    arguments: str = ""
    conditions: Conds = ()
    variables: tuple[str, ...] = ()
    selection: SelectionBuild | None = None

    @property
    def response_key(self) -> str:
        return self.alias or self.name


@dataclass(eq=False)
class SelectionBuild:
    """An ordered, mergeable selection set of a fetch being built."""

    fields: dict[tuple[str, Conds], FieldBuild] = field(default_factory=dict)
    fragments: dict[str, SelectionBuild] = field(default_factory=dict)

    def add_field(
        self,
        name: str,
        *,
        response_key: str | None = None,
        arguments: str = "",
        conditions: Conds = (),
        variables: tuple[str, ...] = (),
        composite: bool = False,
    ) -> FieldBuild:
        """Add a field (or return the same one already there). A field that would clash with
        a different field at the same response key gets a fresh internal alias instead."""
        key = response_key or name
        attempt = 0
        while (same := self._at(key)) is not None:
            if same.name == name and same.arguments == arguments:
                existing = self.fields.get((key, conditions))
                if existing is None:
                    break  # the same field under other conditions: both may be selected
                if composite and existing.selection is None:
                    existing.selection = SelectionBuild()
                return existing
            key = f"{name}__pg{attempt}"
            attempt += 1
        built = FieldBuild(
            name=name,
            alias=key if key != name else None,
            arguments=arguments,
            conditions=conditions,
            variables=variables,
            selection=SelectionBuild() if composite else None,
        )
        self.fields[(key, conditions)] = built
        return built

    def _at(self, response_key: str) -> FieldBuild | None:
        return next((f for (k, _), f in self.fields.items() if k == response_key), None)

    def add_typename(self) -> None:
        self.add_field("__typename")

    def fragment(self, type_condition: str) -> SelectionBuild:
        found = self.fragments.get(type_condition)
        if found is None:
            found = self.fragments[type_condition] = SelectionBuild()
        return found

    def merge(self, other: SelectionBuild) -> None:
        for (_, conditions), f in other.fields.items():
            target = self.add_field(
                f.name,
                response_key=f.response_key,
                arguments=f.arguments,
                conditions=conditions,
                variables=f.variables,
                composite=f.selection is not None,
            )
            if f.response_key != target.response_key:
                raise PlanningError(f"internal: cannot merge clashing field {f.response_key}")
            if f.selection is not None and target.selection is not None:
                target.selection.merge(f.selection)
        for type_condition, selection in other.fragments.items():
            self.fragment(type_condition).merge(selection)

    def covers(self, other: SelectionBuild) -> bool:
        """Does this selection already select everything `other` does (same response keys,
        arguments and conditions, recursively)?"""
        for key, f in other.fields.items():
            mine = self.fields.get(key)
            if mine is None or (mine.name, mine.arguments) != (f.name, f.arguments):
                return False
            if f.selection is not None and (
                mine.selection is None or not mine.selection.covers(f.selection)
            ):
                return False
        return all(
            t in self.fragments and self.fragments[t].covers(selection)
            for t, selection in other.fragments.items()
            if not selection.is_empty()
        )

    def clashes_with(self, other: SelectionBuild) -> bool:
        """Would merging `other` in put two different fields at one response key?"""
        for (key, _), f in other.fields.items():
            mine = self._at(key)
            if mine is None:
                continue
            if (mine.name, mine.arguments) != (f.name, f.arguments):
                return True
            if mine.selection is not None and f.selection is not None:
                if mine.selection.clashes_with(f.selection):
                    return True
        return any(
            self.fragments[t].clashes_with(selection)
            for t, selection in other.fragments.items()
            if t in self.fragments
        )

    def is_empty(self) -> bool:
        return not self.fields and all(f.is_empty() for f in self.fragments.values())

    def only_typename(self) -> bool:
        return all(f.name == "__typename" for f in self.fields.values()) and all(
            f.only_typename() for f in self.fragments.values()
        )

    def variables(self) -> Iterator[str]:
        for f in self.fields.values():
            yield from f.variables
            for cond in f.conditions:
                yield cond.variable
            if f.selection is not None:
                yield from f.selection.variables()
        for fragment in self.fragments.values():
            yield from fragment.variables()

    def print(self, drop: frozenset[Cond] = frozenset()) -> str:
        """GraphQL text of this selection set; `drop` lists conditions already applied by a
        plan `Condition` around the whole fetch (top level only)."""
        parts: list[str] = []
        for f in self.fields.values():
            text = f"{f.alias}: {f.name}" if f.alias else f.name
            text += f.arguments
            text += "".join(f" {c}" for c in f.conditions if c not in drop)
            if f.selection is not None:
                # Nothing left below (all excluded): still fetch the object, for its shape.
                inner = f.selection.print()
                text += " " + (inner if inner != "{  }" else "{ __typename }")
            parts.append(text)
        for type_condition, selection in self.fragments.items():
            if not selection.is_empty():
                parts.append(f"... on {type_condition} {selection.print(drop)}")
        return "{ " + " ".join(parts) + " }"

    def to_selections(self) -> tuple[Selection, ...]:
        """As plan selections (for `Fetch.requires`)."""
        out: list[Selection] = []
        for f in self.fields.values():
            children = f.selection.to_selections() if f.selection is not None else ()
            out.append(FieldSelection(f.name, children, f.alias))
        for type_condition, selection in self.fragments.items():
            out.append(InlineFragment(type_condition, selection.to_selections()))
        return tuple(out)


def _mergeable(a: FetchGroup, b: FetchGroup) -> bool:
    """A group fed `@requires` inputs keeps exactly its own conditions when merged."""
    merged = (a.conditions or frozenset()) & (b.conditions or frozenset())
    return all((g.conditions or frozenset()) == merged for g in (a, b) if g.has_requires)


_ids = count()


@dataclass(eq=False)
class FetchGroup:
    """One future `Fetch`. Root groups (`root_type` set) select from the root type at
    `path` (empty for the operation's root); entity groups select `... on T` under
    `_entities` and are fed by `inputs` projected from the data at `path`."""

    subgraph: str
    path: tuple[str, ...]
    root_type: str | None = None
    selection: SelectionBuild = field(default_factory=SelectionBuild)
    inputs: SelectionBuild = field(default_factory=SelectionBuild)
    parents: set[FetchGroup] = field(default_factory=set)
    conditions: frozenset[Cond] | None = None
    input_rewrites: dict[Rewrite, None] = field(default_factory=dict)  # ordered set
    # Fetches the concrete `__typename` a client asked for where the data so far only has
    # an interface object's name: useful even if it selects nothing else.
    resolves_typename: bool = False
    # Its representations carry `@requires` inputs (fetched before it, maybe conditionally).
    has_requires: bool = False
    id: int = field(default_factory=lambda: next(_ids))

    @property
    def is_entity(self) -> bool:
        return self.root_type is None

    def note_conditions(self, conditions: Conds) -> None:
        """Something was added under `conditions`: the group runs only when all of its
        contents' conditions hold in common."""
        found = frozenset(conditions)
        self.conditions = found if self.conditions is None else self.conditions & found

    def __repr__(self) -> str:
        return f"<group {self.id} {self.subgraph} at {'.'.join(self.path) or 'root'}>"


class FetchGraph:
    """The groups of one plan (or one step of a mutation)."""

    def __init__(self) -> None:
        self.groups: list[FetchGroup] = []
        self._index: dict[tuple[object, ...], FetchGroup] = {}

    def root(self, subgraph: str, root_type: str) -> FetchGroup:
        return self._get(("root", subgraph), lambda: FetchGroup(subgraph, (), root_type))

    def has_root(self, subgraph: str) -> bool:
        return ("root", subgraph) in self._index

    def child(
        self,
        parent: FetchGroup,
        subgraph: str,
        path: tuple[str, ...],
        *,
        root_type: str | None = None,
        extra: tuple[object, ...] = (),
    ) -> FetchGroup:
        """The group for `subgraph` at `path` fed by `parent` (created on first use)."""

        def create() -> FetchGroup:
            return FetchGroup(subgraph, path, root_type, parents={parent})

        return self._get(("child", parent.id, subgraph, path, root_type, *extra), create)

    def _get(self, key: tuple[object, ...], create: object) -> FetchGroup:
        found = self._index.get(key)
        if found is None:
            found = create()  # type: ignore[operator]
            self._index[key] = found
            self.groups.append(found)
        return found

    def children(self, group: FetchGroup) -> list[FetchGroup]:
        return [g for g in self.groups if group in g.parents]

    # --- optimization ------------------------------------------------------------------

    def optimize(self) -> None:
        self._drop_useless()
        self._reduce_parents()
        self._merge_siblings()
        self._fold_into_later_fetches()
        self._reduce_parents()

    def _drop_useless(self) -> None:
        """Remove entity groups that fetch nothing beyond `__typename` and feed nothing."""
        useless = [
            g
            for g in self.groups
            if g.is_entity
            and g.selection.only_typename()
            and not g.resolves_typename
            and not self.children(g)
        ]
        for group in useless:
            self.remove(group)
        if useless:
            self._drop_useless()

    def remove(self, group: FetchGroup) -> None:
        """Take `group` out; whatever waited for it waits for its parents instead (public
        for the subscription planner, whose event-source root is not a real fetch)."""
        self.groups.remove(group)
        for other in self.groups:
            if group in other.parents:
                other.parents.discard(group)
                other.parents |= group.parents

    def _merge_siblings(self) -> None:
        """Merge groups for the same subgraph and path with the same parents, unless that
        would run a `@requires` fetch where its required inputs were not fetched (under a
        condition the merged fetch no longer has)."""
        changed = True
        while changed:
            changed = False
            seen: dict[tuple[object, ...], list[FetchGroup]] = {}
            for group in list(self.groups):
                key = (
                    group.subgraph,
                    group.path,
                    group.root_type,
                    frozenset(p.id for p in group.parents),
                )
                into = next((g for g in seen.get(key, ()) if _mergeable(g, group)), None)
                if into is None:
                    seen.setdefault(key, []).append(group)
                    continue
                self._merge(group, into)
                changed = True
                break

    def _fold_into_later_fetches(self) -> None:
        """Fold an entity group into a later group of the same subgraph at the same path
        (PLANNER.md §5.9: a `@requires` field beside a sibling from the same subgraph makes
        one fetch, not two). `_merge_siblings` cannot see these pairs: the later group
        waits for more (the fetches of its required fields), so their parents differ.

        `early` folds into `later` when:
        - `later` already waits, directly or not, for every parent of `early`, so `early`'s
          representations can be built when `later` runs;
        - `later`'s inputs cover `early`'s (and its input rewrites), so no representation
          changes shape;
        - nothing waits for `early` unless it waits for `later` too: folding never delays
          data another fetch needs earlier (this also rules out cycles);
        - `_mergeable`: a `@requires` group keeps exactly its own conditions, so a fetch
          under fewer conditions is never folded into a conditional `@requires` fetch.

        The folded group's data arrives one stage later; the plan makes one fetch fewer.
        Deterministic: groups are tried in creation order, the first match wins."""
        by_place: dict[tuple[str, tuple[str, ...]], list[FetchGroup]] = {}
        for group in self.groups:
            if group.is_entity:
                by_place.setdefault((group.subgraph, group.path), []).append(group)
        for candidates in by_place.values():
            folded = True
            while folded and len(candidates) > 1:
                folded = False
                for early in candidates:
                    later = next((g for g in candidates if self._can_fold(early, g)), None)
                    if later is not None:
                        self._merge(early, later)
                        candidates.remove(early)
                        folded = True
                        break

    def _can_fold(self, early: FetchGroup, later: FetchGroup) -> bool:
        return (
            early is not later
            and _mergeable(early, later)
            and all(self._reaches(later, parent) for parent in early.parents)
            and later.inputs.covers(early.inputs)
            and early.input_rewrites.keys() <= later.input_rewrites.keys()
            and not later.selection.clashes_with(early.selection)
            and all(self._reaches(child, later) for child in self.children(early))
        )

    def _merge(self, group: FetchGroup, into: FetchGroup) -> None:
        into.selection.merge(group.selection)
        into.inputs.merge(group.inputs)
        into.input_rewrites.update(group.input_rewrites)
        into.resolves_typename |= group.resolves_typename
        into.has_requires |= group.has_requires
        if group.conditions is not None:
            into.note_conditions(tuple(group.conditions))
        self.groups.remove(group)
        for other in self.groups:
            if group in other.parents:
                other.parents.discard(group)
                other.parents.add(into)

    def _reduce_parents(self) -> None:
        """Transitive reduction: drop a parent that another parent already waits for."""
        for group in self.groups:
            for parent in list(group.parents):
                others = group.parents - {parent}
                if any(self._reaches(other, parent) for other in others):
                    group.parents.discard(parent)

    def _reaches(self, start: FetchGroup, ancestor: FetchGroup) -> bool:
        """Does `start` (transitively) wait for `ancestor`?"""
        stack, seen = [start], set()
        while stack:
            current = stack.pop()
            for parent in current.parents:
                if parent is ancestor:
                    return True
                if parent.id not in seen:
                    seen.add(parent.id)
                    stack.append(parent)
        return False
