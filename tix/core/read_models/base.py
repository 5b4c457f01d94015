"""The base of every read model, and the text type that keeps control characters out."""

from __future__ import annotations

import re
from typing import Annotated, cast

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    GetJsonSchemaHandler,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _printable(text: str) -> str:
    """Stored text without control characters but tabs and line breaks (C0 and C1
    alike): text is cleaned where it enters, and this keeps what an older tix stored
    from reaching a terminal."""
    return _CONTROLS.sub("", text) if _CONTROLS.search(text) else text


Text = Annotated[str, AfterValidator(_printable)]
"""Text from outside or from the past (subjects, bodies, names, notes): printable."""


class ReadModel(BaseModel):
    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True, defer_build=True)


class KeysThatApply(ReadModel):
    """A model whose serializer leaves out the keys that do not apply: its schema is that
    of its fields (those left out have defaults, so are not required), which pydantic
    cannot see through the serializer."""

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        fields = dict(core_schema)
        fields.pop("serialization", None)
        return handler(cast(CoreSchema, fields))
