"""The one error of the CycloneDX package."""


class BomError(ValueError):
    """A BOM we cannot read or import. The message names the JSON path and the rule."""
