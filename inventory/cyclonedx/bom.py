"""A BOM in inventory terms: what `read_bom` returns and `build_bom` takes."""

from dataclasses import dataclass, field


@dataclass
class BomSystem:
    """The AI system a BOM describes (its `metadata.component`)."""

    ref: str
    name: str
    description: str = ""


@dataclass
class BomComponent:
    """One BOM component in inventory terms.

    `fields` holds Component field values besides the identity (kind, group, name, version); on reading, only those
    the BOM states, so that an import does not blank what a BOM leaves out. `usage` / `is_active` describe the AI
    system's use of the component (None: not stated, or not used directly by the system).
    """

    ref: str
    kind: str
    name: str
    group: str = ""
    version: str = ""
    fields: dict = field(default_factory=dict)
    derived_from: str = ""
    usage: str | None = None
    is_active: bool | None = None
    path: str = ""

    @property
    def identity(self) -> tuple[str, str, str, str]:
        return (self.kind, self.group, self.name, self.version)


@dataclass
class ParsedBom:
    system: BomSystem | None
    components: list[BomComponent]
    # refs of the components the system uses directly; None when the BOM has no dependency entry for the system
    uses: list[str] | None
    # component ref -> {depends-on ref: relation, None when the BOM does not state one}
    dependencies: dict[str, dict[str, str | None]]
    # (component ref, depends-on ref) -> where the edge is declared, for error messages
    dependency_paths: dict[tuple[str, str], str]
    serial_number: str = ""

    def by_ref(self) -> dict[str, BomComponent]:
        return {c.ref: c for c in self.components if c.ref}

    def creation_order(self) -> list[BomComponent]:
        """Components so that each comes after the one it is derived from (no derived-from cycle: checked)."""
        refs = self.by_ref()
        ordered, seen = [], set()
        for component in self.components:
            chain = []
            while component is not None and id(component) not in seen:  # walk up to a placed origin
                seen.add(id(component))
                chain.append(component)
                component = refs.get(component.derived_from) if component.derived_from else None
            ordered.extend(reversed(chain))
        return ordered
