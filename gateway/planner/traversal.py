"""Walk a normalized operation and fill the fetch dependency graph.

For every selected field the walk keeps it in the current fetch when that subgraph can
resolve it there; otherwise it jumps to another subgraph through `_entities` (fewest key
jumps, see `QueryGraph.route`), or, for `@requires`, first plans the required fields from
the current position and then jumps into a fetch that waits for them. Where several
subgraphs could serve a field (`@shareable`, several owners), `Estimator` prices the
alternatives by the fetches they need and the cheapest wins, the current subgraph on ties.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence

from graphql import FieldNode, InlineFragmentNode, SelectionSetNode, print_ast

from gateway.planner.errors import PlanningError
from gateway.planner.estimate import Estimator
from gateway.planner.fetch_graph import FetchGraph, FetchGroup, SelectionBuild
from gateway.planner.operation import Conds, OpField, OpFragment, OpSelection, never
from gateway.planner.plan import ValueSetter
from gateway.planner.query_graph import Hop, Provided, QueryGraph

Path = tuple[str, ...]
Groups = set[FetchGroup]


class Traversal:
    """One walk over one operation (or one mutation step), filling `fetches`."""

    def __init__(self, graph: QueryGraph, fetches: FetchGraph, root_types: Iterable[str]) -> None:
        self.graph = graph
        self.fetches = fetches
        self.root_types = frozenset(root_types)
        self.estimator = Estimator(graph, self.root_types)
        # Client response keys at each response path: fields the planner adds there (keys,
        # required fields) take an internal alias rather than a key a client field uses.
        self.client_keys: dict[Path, dict[str, tuple[str, str]]] = {}

    # --- roots -------------------------------------------------------------------------

    def plan_root(self, root_type: str, fields: Sequence[OpField]) -> None:
        """Plan query root fields, each from the subgraph that serves it (and its subtree)
        with the fewest fetches; fields with one possible subgraph are placed first. A
        shareable root field whose subtree no single subgraph has is split into parallel
        root fetches when that needs no more fetches than jumping. (Mutations are placed in
        order by the planner, never split.)"""
        plans: dict[int, list[tuple[str, OpField]]] = {}
        chosen: set[str] = {g.subgraph for g in self.fetches.groups if not g.parents}
        fields = [f for f in fields if not never(f.conditions)]
        ordered = sorted(
            range(len(fields)), key=lambda i: len(self._root_candidates(root_type, fields[i]))
        )
        for index in ordered:
            field = fields[index]
            candidates = self._root_candidates(root_type, field)
            costs = {
                c: (0 if c in chosen else 1) + self._subtree_cost(root_type, field, c, None)
                for c in candidates
            }
            best = min(candidates, key=lambda c: (costs[c], self.graph.subgraph_order[c]))
            parts = self._split(root_type, field, candidates, chosen)
            if parts is not None and costs[best] > 0:
                new_fetches = sum(1 for c in parts if c not in chosen)
                if new_fetches <= costs[best]:
                    plans[index] = [
                        (c, _with_selections(field, tuple(sels))) for c, sels in parts.items()
                    ]
                    chosen |= set(parts)
                    continue
            plans[index] = [(best, field)]
            chosen.add(best)
        for index in range(len(fields)):
            for subgraph, part in plans[index]:
                group = self.fetches.root(subgraph, root_type)
                group.note_conditions(part.conditions)
                self.plan_field(group, group.selection, root_type, part, (), (), None)

    def _split(
        self, root_type: str, field: OpField, candidates: tuple[str, ...], chosen: set[str]
    ) -> dict[str, list[OpSelection]] | None:
        """Share out a root field's sub-selections among the subgraphs that resolve it, each
        part needing no further fetch; None when that is impossible or pointless."""
        if len(candidates) < 2 or not field.selections:
            return None
        child_type, _ = self.graph.field_type(root_type, field.name)
        parts: dict[str, list[OpSelection]] = {}
        for selection in field.selections:
            local = [
                c
                for c in candidates
                if self.estimator.estimate(
                    child_type, c, (selection,), self.graph.provides(root_type, field.name, c)
                )
                == 0
            ]
            if not local:
                return None
            target = min(
                local,
                key=lambda c: (c not in parts, c not in chosen, self.graph.subgraph_order[c]),
            )
            parts.setdefault(target, []).append(selection)
        return parts if len(parts) > 1 else None

    def _root_candidates(self, root_type: str, field: OpField) -> tuple[str, ...]:
        candidates = self.graph.field_graphs(root_type, field.name)
        if not candidates and self.graph.uses_context(root_type, field.name):
            raise PlanningError(f"{root_type}.{field.name} takes @fromContext arguments")
        if not candidates:
            raise PlanningError(f"no subgraph resolves {root_type}.{field.name}")
        return candidates

    # --- selections --------------------------------------------------------------------

    def plan_selections(
        self,
        group: FetchGroup,
        sel: SelectionBuild,
        type_name: str,
        selections: Sequence[OpSelection],
        path: Path,
        conds: Conds,
        provided: Provided | None,
        satisfied: frozenset[str] = frozenset(),
    ) -> Groups:
        """Plan `selections` at `type_name`, in `group` where possible (adding to `sel`).
        Returns every group that received something."""
        self._register(path, selections)
        touched: Groups = set()
        pending: list[OpSelection] = []
        # Where this subgraph sees an interface as an object (@interfaceObject), it cannot
        # tell the concrete type: `__typename` and type conditions are answered elsewhere.
        opaque = self.graph.is_abstract(type_name) and self.graph.is_interface_object(
            type_name, group.subgraph
        )
        for selection in selections:
            if isinstance(selection, OpField) and never(_and(conds, selection.conditions)):
                continue  # excluded whatever the variables are
            if opaque and (isinstance(selection, OpFragment) or selection.name == "__typename"):
                pending.append(selection)
            elif isinstance(selection, OpFragment):
                touched |= self.plan_fragment(
                    group, sel, type_name, selection, path, conds, provided
                )
            elif selection.name == "__typename":
                sel.add_field(
                    "__typename",
                    response_key=selection.response_key,
                    conditions=selection.conditions,
                )
                if group.is_entity and self.graph.is_abstract(type_name):
                    group.resolves_typename = True
                touched.add(group)
            elif self._resolves_here(group, type_name, selection, provided, satisfied):
                touched |= self.plan_field(group, sel, type_name, selection, path, conds, provided)
            else:
                pending.append(selection)
        if pending:
            touched |= self.plan_elsewhere(group, sel, type_name, pending, path, conds, provided)
        return touched

    def _register(self, path: Path, selections: Sequence[OpSelection]) -> None:
        taken = self.client_keys.setdefault(path, {})
        for selection in selections:
            if isinstance(selection, OpFragment):
                self._register(path, selection.selections)
            else:
                taken.setdefault(selection.response_key, (selection.name, selection.arguments))

    def _resolves_here(
        self,
        group: FetchGroup,
        type_name: str,
        field: OpField,
        provided: Provided | None,
        satisfied: frozenset[str],
    ) -> bool:
        graph = self.graph
        subgraph = group.subgraph
        if subgraph in graph.field_graphs(type_name, field.name):
            return graph.requires(type_name, field.name, subgraph) is None or (
                field.name in satisfied
            )
        return graph.is_local(type_name, field.name, subgraph, provided)

    def plan_field(
        self,
        group: FetchGroup,
        sel: SelectionBuild,
        type_name: str,
        field: OpField,
        path: Path,
        conds: Conds,
        provided: Provided | None,
    ) -> Groups:
        """Plan a field `group` can resolve: a leaf is added; a composite field is added and
        its subtree planned below it, unless another subgraph serves the subtree cheaper."""
        if not field.selections:
            sel.add_field(
                field.name,
                response_key=field.response_key,
                arguments=field.arguments,
                conditions=field.conditions,
                variables=field.variables,
            )
            return {group}
        # (Root fields were placed by `plan_root` or the mutation order already.)
        at_root = not path and type_name in self.root_types
        better = None if at_root else self._better_elsewhere(group, type_name, field, provided)
        if better is not None:
            return self.jump(group, sel, type_name, better, [field], path, conds, provided)
        child_type, depth = self.graph.field_type(type_name, field.name)
        built = sel.add_field(
            field.name,
            response_key=field.response_key,
            arguments=field.arguments,
            conditions=field.conditions,
            variables=field.variables,
            composite=True,
        )
        assert built.selection is not None
        if self.graph.is_abstract(child_type):
            built.selection.add_typename()
        child_path = (*path, built.response_key, *("@",) * depth)
        below = self.graph.child_provided(type_name, field.name, group.subgraph, provided)
        touched = self.plan_selections(
            group,
            built.selection,
            child_type,
            field.selections,
            child_path,
            _and(conds, field.conditions),
            below,
        )
        return touched | {group}

    def _better_elsewhere(
        self, group: FetchGroup, type_name: str, field: OpField, provided: Provided | None
    ) -> str | None:
        """Another subgraph that serves this composite field's subtree with fewer fetches
        than staying in `group` (shareable fields), or None."""
        graph = self.graph
        others = [g for g in graph.field_graphs(type_name, field.name) if g != group.subgraph]
        if not others:
            return None
        here = self._subtree_cost(type_name, field, group.subgraph, provided)
        if here == 0:
            return None
        best: tuple[int, int, str] | None = None
        for other in others:
            hops = self._hops(type_name, group.subgraph, other, provided)
            if hops is None:
                continue
            cost = hops + self._subtree_cost(type_name, field, other, None)
            candidate = (cost, graph.subgraph_order[other], other)
            if cost < here and (best is None or candidate < best):
                best = candidate
        return best[2] if best else None

    def _subtree_cost(
        self, type_name: str, field: OpField, subgraph: str, provided: Provided | None
    ) -> int:
        if not field.selections:
            return 0
        child_type, _ = self.graph.field_type(type_name, field.name)
        below = self.graph.child_provided(type_name, field.name, subgraph, provided)
        return self.estimator.estimate(child_type, subgraph, field.selections, below)

    def _hops(
        self, type_name: str, source: str, target: str, provided: Provided | None
    ) -> int | None:
        if type_name in self.root_types:
            return 1
        route = self.graph.route(type_name, source, target, provided)
        return None if route is None else len(route)

    def plan_fragment(
        self,
        group: FetchGroup,
        sel: SelectionBuild,
        type_name: str,
        fragment: OpFragment,
        path: Path,
        conds: Conds,
        provided: Provided | None,
    ) -> Groups:
        """`... on F` under an abstract type: kept when the subgraph can return F objects
        here; dropped otherwise (this subgraph never returns them at this position)."""
        target = fragment.type_condition
        here = set(self.graph.possible_types(type_name, group.subgraph))
        if not here & set(self.graph.possible_types(target)):
            return set()
        return self.plan_selections(
            group,
            sel.fragment(target),
            target,
            fragment.selections,
            path,
            conds,
            provided,  # `... on T` entries of a @provides are looked up by type
        )

    # --- jumps ---------------------------------------------------------------------------

    def plan_elsewhere(
        self,
        group: FetchGroup,
        sel: SelectionBuild,
        type_name: str,
        items: list[OpSelection],
        path: Path,
        conds: Conds,
        provided: Provided | None,
    ) -> Groups:
        """Plan what `group` cannot resolve: by subgraph, through key jumps."""
        graph = self.graph
        if graph.is_abstract(type_name):
            return self._plan_elsewhere_abstract(
                group, sel, type_name, items, path, conds, provided
            )
        fields = [item for item in items if isinstance(item, OpField)]
        touched: Groups = set()
        # Fields only an @interfaceObject resolves: jump to it as the interface.
        through_interface: dict[tuple[str, str], list[OpField]] = {}
        for field in fields:
            if not graph.field_graphs(type_name, field.name):
                owner = graph.interface_object_owner(type_name, field.name)
                if owner is None:
                    raise PlanningError(self._unreachable(group, type_name, field))
                through_interface.setdefault(owner, []).append(field)
        for (interface, target), batch in through_interface.items():
            plain = [f for f in batch if graph.requires(interface, f.name, target) is None]
            if plain:
                touched |= self.jump(
                    group, sel, type_name, target, plain, path, conds, provided, interface
                )
            for field in batch:
                if field not in plain:
                    touched |= self.plan_requires(
                        group, sel, type_name, field, target, path, conds, provided, interface
                    )
        fields = [f for f in fields if graph.field_graphs(type_name, f.name)]
        if not fields:
            return touched
        for target, batch in self._choose_targets(group, type_name, fields, provided).items():
            plain = [f for f in batch if graph.requires(type_name, f.name, target) is None]
            if plain:
                touched |= self.jump(group, sel, type_name, target, plain, path, conds, provided)
            for field in batch:
                if field not in plain:
                    touched |= self.plan_requires(
                        group, sel, type_name, field, target, path, conds, provided
                    )
        return touched

    def _plan_elsewhere_abstract(
        self,
        group: FetchGroup,
        sel: SelectionBuild,
        type_name: str,
        items: list[OpSelection],
        path: Path,
        conds: Conds,
        provided: Provided | None,
    ) -> Groups:
        """At an interface or union: jump at the abstract type itself where it is an entity
        (interface entities, interface objects), else ask each possible type here."""
        graph = self.graph
        source = group.subgraph
        by_target: dict[str, list[OpSelection]] = {}
        requiring: list[tuple[OpField, str]] = []
        per_member: list[OpSelection] = []
        concrete = [
            o
            for o in graph.concrete_graphs(type_name)
            if graph.route(type_name, source, o, provided)
        ]
        opaque = graph.is_interface_object(type_name, source)
        for item in items:
            reachable = concrete
            if isinstance(item, OpField) and item.name != "__typename":
                reachable = [
                    o
                    for o in graph.field_graphs(type_name, item.name)
                    if (o != source or _requires(graph, type_name, item.name, o))
                    and graph.route(type_name, source, o, provided)
                ]
                if not reachable and opaque:
                    # Only the implementations know it: go where they are known first.
                    reachable = concrete
            reachable = sorted(
                reachable, key=lambda o: (o not in by_target, graph.subgraph_order[o])
            )
            if reachable:
                target = reachable[0]
                if (
                    isinstance(item, OpField)
                    and item.name != "__typename"
                    and graph.requires(type_name, item.name, target)
                ):
                    requiring.append((item, target))
                else:
                    by_target.setdefault(target, []).append(item)
            elif opaque or not isinstance(item, OpField):
                raise PlanningError(
                    f"cannot resolve {item} on {type_name} from {source}: no subgraph that "
                    f"knows the implementations of {type_name} can be reached"
                )
            else:
                per_member.append(item)
        touched: Groups = set()
        for target, batch in by_target.items():
            touched |= self.jump(group, sel, type_name, target, batch, path, conds, provided)
        for field, target in requiring:
            touched |= self.plan_requires(
                group, sel, type_name, field, target, path, conds, provided
            )
        if per_member:
            for member in graph.possible_types(type_name, source):
                touched |= self.plan_selections(
                    group, sel.fragment(member), member, per_member, path, conds, provided
                )
        return touched

    def _choose_targets(
        self,
        group: FetchGroup,
        type_name: str,
        fields: list[OpField],
        provided: Provided | None,
    ) -> dict[str, list[OpField]]:
        """Pick the subgraph each field is fetched from: fields with one choice first, then
        the others, preferring subgraphs already chosen, then the cheapest."""
        graph = self.graph
        options: dict[int, list[tuple[str, int]]] = {}
        for index, field in enumerate(fields):
            reachable = []
            for candidate in graph.field_graphs(type_name, field.name):
                hops = self._hops(type_name, group.subgraph, candidate, provided)
                if hops is not None:
                    reachable.append((candidate, hops))
            if not reachable:
                raise PlanningError(self._unreachable(group, type_name, field))
            options[index] = reachable
        chosen: dict[str, list[OpField]] = {}
        assignment: dict[int, str] = {}
        for index in sorted(options, key=lambda i: len(options[i]) > 1):
            field = fields[index]

            def cost(option: tuple[str, int], field: OpField = field) -> tuple[int, int]:
                subgraph, hops = option
                total = 0 if subgraph in chosen else hops
                total += self._subtree_cost(type_name, field, subgraph, None)
                if graph.requires(type_name, field.name, subgraph) is not None:
                    total += 1
                return total, graph.subgraph_order[subgraph]

            target = min(options[index], key=cost)[0]
            assignment[index] = target
            chosen.setdefault(target, [])
        for index, field in enumerate(fields):
            chosen[assignment[index]].append(field)
        return chosen

    def _unreachable(self, group: FetchGroup, type_name: str, field: OpField) -> str:
        if self.graph.uses_context(type_name, field.name):
            return (
                f"{type_name}.{field.name} takes @fromContext arguments, which this gateway "
                "does not plan yet"
            )
        owners = self.graph.field_graphs(type_name, field.name)
        if not owners:
            return f"no subgraph resolves {type_name}.{field.name}"
        return (
            f"{type_name}.{field.name} lives in {', '.join(owners)}, which cannot be reached "
            f"from {group.subgraph}: no @key of {type_name} there has fields that "
            f"{group.subgraph} can provide"
        )

    def jump(
        self,
        group: FetchGroup,
        sel: SelectionBuild,
        type_name: str,
        target: str,
        fields: Sequence[OpSelection],
        path: Path,
        conds: Conds,
        provided: Provided | None,
        entity_type: str | None = None,
    ) -> Groups:
        """Plan `fields` in `target`, entered from `group` at `path` (as `entity_type` there,
        when that is an interface object the current type implements)."""
        batch = _common(_and(conds, getattr(f, "conditions", ())) for f in fields)
        child, hops = self.enter(
            group, sel, type_name, target, path, provided, batch, entity_type=entity_type
        )
        if child.root_type:
            entry, entity = child.selection, type_name
        else:
            entity = entity_type or type_name
            entry = child.selection.fragment(entity)
            if self.graph.is_abstract(entity) and not self.graph.is_interface_object(
                entity, target
            ):
                entry.add_typename()  # the concrete type, for fragments and the client
        return hops | self.plan_selections(child, entry, entity, fields, path, conds, None)

    def enter(
        self,
        group: FetchGroup,
        sel: SelectionBuild,
        type_name: str,
        target: str,
        path: Path,
        provided: Provided | None,
        conds: Conds,
        waits_for: Groups | None = None,
        entity_type: str | None = None,
    ) -> tuple[FetchGroup, Groups]:
        """Get the group that continues in `target` at `path` (through intermediate
        subgraphs if needed), making each source select `__typename` and the key. With
        `waits_for` (a `@requires`), the last group is one that waits for those groups.
        Returns the last group and all the groups on the way."""
        if type_name in self.root_types:
            child = self.fetches.child(group, target, path, root_type=type_name)
            child.note_conditions(conds)
            return child, {child}
        entity = entity_type or type_name
        if entity != type_name:
            # Into an interface object, as the interface: one hop, with a key we can supply.
            route: tuple[Hop, ...] | None = next(
                (
                    (Hop(target, key),)
                    for key in self.graph.entry_keys(entity, target)
                    if key.selection is not None
                    and self.graph.fields_local(type_name, key.selection, group.subgraph, provided)
                ),
                None,
            )
        else:
            route = self.graph.route(type_name, group.subgraph, target, provided)
        if not route:
            raise PlanningError(
                f"cannot jump from {group.subgraph} to {target} at {type_name}: no @key of "
                f"{type_name} in {target} has fields that {group.subgraph} can provide"
            )
        current, current_sel = group, sel
        on_the_way: Groups = set()
        for index, hop in enumerate(route):
            assert hop.key.selection is not None
            last = index == len(route) - 1
            extra: tuple[object, ...] = ()
            if last and waits_for is not None:
                extra = ("requires", frozenset(g.id for g in waits_for), frozenset(conds))
            child = self.fetches.child(current, hop.graph, path, extra=extra)
            if last and waits_for is not None:
                child.parents |= waits_for - {child}
                child.has_requires = True
            child.note_conditions(conds)
            inputs = child.inputs.fragment(type_name)
            inputs.add_typename()
            if not self._typename_known(current, current_sel, type_name):
                current_sel.add_typename()
            taken = self.client_keys.get(path, {})
            self.add_key(current_sel, inputs, type_name, hop.key.selection, taken)
            if self.graph.is_interface_object(entity, hop.graph):
                # That subgraph knows the interface, not the implementation: send its name.
                rewrite = ValueSetter((f"... on {type_name}", "__typename"), entity)
                child.input_rewrites[rewrite] = None
            on_the_way |= {current, child}
            current, current_sel = child, child.selection.fragment(entity)
        return current, on_the_way

    def _typename_known(self, group: FetchGroup, sel: SelectionBuild, type_name: str) -> bool:
        """At the top of an entity fetch for an object type, the data already has the
        `__typename` (the representations were built from it): no need to ask again."""
        return (
            group.is_entity
            and sel is group.selection.fragments.get(type_name)
            and not self.graph.is_abstract(type_name)
        )

    def add_key(
        self,
        source: SelectionBuild,
        inputs: SelectionBuild,
        type_name: str,
        field_set: SelectionSetNode,
        taken: Mapping[str, tuple[str, str]],
    ) -> None:
        """Select a key field set in `source` and mirror it in `inputs`, with the response
        keys the source used (`taken`: client keys at this position, not to be reused).
        Public for planners that enter an entity fetch from data they did not fetch (the
        subscription planner builds representations from an event's key)."""
        for node in field_set.selections:
            if isinstance(node, InlineFragmentNode):
                inner = node.type_condition.name.value if node.type_condition else type_name
                self.add_key(
                    source.fragment(inner), inputs.fragment(inner), inner, node.selection_set, taken
                )
                continue
            assert isinstance(node, FieldNode)
            name = node.name.value
            arguments = _arguments(node)
            composite = node.selection_set is not None
            key = internal_key(name, arguments, taken)
            built = source.add_field(
                name, response_key=key, arguments=arguments, composite=composite
            )
            mirrored = inputs.add_field(
                name, response_key=built.response_key, arguments=arguments, composite=composite
            )
            if composite:
                assert built.selection is not None and mirrored.selection is not None
                child_type, _ = self.graph.field_type(type_name, name)
                if self.graph.is_abstract(child_type):
                    built.selection.add_typename()
                    mirrored.selection.add_typename()
                assert node.selection_set is not None
                self.add_key(
                    built.selection, mirrored.selection, child_type, node.selection_set, {}
                )

    # --- @requires -----------------------------------------------------------------------

    def plan_requires(
        self,
        group: FetchGroup,
        sel: SelectionBuild,
        type_name: str,
        field: OpField,
        target: str,
        path: Path,
        conds: Conds,
        provided: Provided | None,
        entity_type: str | None = None,
    ) -> Groups:
        """`field` lives in `target` but needs other fields first: plan those at this
        position (wherever they live), then jump into a `target` fetch that waits for them
        and gets them in its representations (as `entity_type` there, for a field of an
        interface object the current type implements)."""
        entity = entity_type or type_name
        required = self.graph.requires(entity, field.name, target)
        assert required is not None
        taken = self.client_keys.get(path, {})
        wanted = field_set_selections(self.graph, type_name, required, field.conditions, taken)
        providers = self.plan_selections(group, sel, type_name, wanted, path, conds, provided)
        batch = _and(conds, field.conditions)
        child, hops = self.enter(
            group,
            sel,
            type_name,
            target,
            path,
            provided,
            batch,
            waits_for=providers | {group},
            entity_type=entity_type,
        )
        self._mirror_required(child.inputs.fragment(type_name), type_name, required, taken)
        entry = child.selection.fragment(entity)
        done = self.plan_selections(
            child, entry, entity, [field], path, conds, None, satisfied=frozenset({field.name})
        )
        return providers | hops | done

    def _mirror_required(
        self,
        inputs: SelectionBuild,
        type_name: str,
        field_set: SelectionSetNode,
        taken: Mapping[str, tuple[str, str]],
    ) -> None:
        for node in field_set.selections:
            if isinstance(node, InlineFragmentNode):
                inner = node.type_condition.name.value if node.type_condition else type_name
                self._mirror_required(inputs.fragment(inner), inner, node.selection_set, taken)
                continue
            assert isinstance(node, FieldNode)
            name = node.name.value
            composite = node.selection_set is not None
            arguments = _arguments(node)
            built = inputs.add_field(
                name,
                response_key=internal_key(name, arguments, taken),
                arguments=arguments,
                composite=composite,
            )
            if composite:
                assert built.selection is not None and node.selection_set is not None
                child_type, _ = self.graph.field_type(type_name, name)
                if self.graph.is_abstract(child_type):
                    built.selection.add_typename()
                self._mirror_required(built.selection, child_type, node.selection_set, {})


def field_set_selections(
    graph: QueryGraph,
    type_name: str,
    field_set: SelectionSetNode,
    conditions: Conds,
    taken: Mapping[str, tuple[str, str]],
) -> list[OpSelection]:
    """A `@requires` field set as planner selections, under `conditions`, with internal
    aliases where a client field uses the natural response key (`taken`)."""
    out: list[OpSelection] = []
    for node in field_set.selections:
        if isinstance(node, InlineFragmentNode):
            inner = node.type_condition.name.value if node.type_condition else type_name
            children = tuple(
                field_set_selections(graph, inner, node.selection_set, conditions, taken)
            )
            if inner == type_name:
                out.extend(children)
            else:
                out.append(OpFragment(inner, children))
            continue
        assert isinstance(node, FieldNode)
        name = node.name.value
        children_sel: tuple[OpSelection, ...] = ()
        if node.selection_set is not None:
            child, _ = graph.field_type(type_name, name)
            children_sel = tuple(field_set_selections(graph, child, node.selection_set, (), {}))
        arguments = _arguments(node)
        key = internal_key(name, arguments, taken)
        out.append(OpField(key, name, arguments, conditions, children_sel))
    return out


def _requires(graph: QueryGraph, type_name: str, field: str, subgraph: str) -> bool:
    return field != "__typename" and graph.requires(type_name, field, subgraph) is not None


def internal_key(name: str, arguments: str, taken: Mapping[str, tuple[str, str]]) -> str:
    """The response key for a field the planner adds: its name when the client selects the
    very same field there, or when it takes no arguments and the key is free; otherwise a
    stable internal alias."""
    owner = taken.get(name)
    if owner == (name, arguments) or (owner is None and not arguments):
        return name
    # With arguments, always an alias of its own: two planner fields with different
    # arguments (two @requires) must not share the natural key either.
    suffix = "_" + hashlib.sha1(arguments.encode()).hexdigest()[:6] if arguments else ""
    return f"{name}__pg{suffix}"


def _with_selections(field: OpField, selections: tuple[OpSelection, ...]) -> OpField:
    return OpField(
        field.response_key,
        field.name,
        field.arguments,
        field.conditions,
        selections,
        field.variables,
    )


def _arguments(node: FieldNode) -> str:
    if not node.arguments:
        return ""
    return "(" + ", ".join(print_ast(a) for a in node.arguments) + ")"


def _and(a: Conds, b: Conds) -> Conds:
    return tuple(sorted(set(a) | set(b))) if b else a


def _common(all_conds: Iterable[Conds]) -> Conds:
    sets = [set(c) for c in all_conds]
    if not sets:
        return ()
    return tuple(sorted(set.intersection(*sets)))
