"""Typed section items: one schema per item type, shared by input (seed, writes) and responses."""

from enum import StrEnum
from typing import Annotated

from pydantic import Field, model_validator

from app.core.schemas import TextModel

Name = Annotated[str, Field(min_length=1, max_length=500)]
Text = Annotated[str, Field(min_length=1, max_length=20_000)]


class ItemSchema(TextModel):
    pass


class CodeRef(ItemSchema):
    """A code attached to an item, e.g. the HPO term of a symptom or the ATC code of a drug."""

    system: Annotated[str, Field(min_length=1, max_length=40, examples=["hpo"])]
    code: Annotated[str, Field(min_length=1, max_length=100, examples=["HP:0003690"])]
    display: str | None = None


class Frequency(ItemSchema):
    """How often a feature occurs, as its source states it."""

    label: Annotated[str, Field(min_length=1, max_length=100, examples=["Very frequent"])]
    lower_percent: Annotated[float | None, Field(ge=0, le=100)] = None
    upper_percent: Annotated[float | None, Field(ge=0, le=100)] = None
    code: str | None = Field(default=None, description="Frequency term, e.g. HP:0040281.")

    @model_validator(mode="after")
    def _ordered_range(self) -> "Frequency":
        low, high = self.lower_percent, self.upper_percent
        if low is not None and high is not None and low > high:
            raise ValueError("lower_percent must not exceed upper_percent")
        return self


class FactItem(ItemSchema):
    name: Name
    description: Text | None = None


class CauseKind(StrEnum):
    GENETIC = "genetic"
    ENVIRONMENTAL = "environmental"
    IMMUNE = "immune"
    INFECTIOUS = "infectious"
    LIFESTYLE = "lifestyle"
    OTHER = "other"


class CauseItem(FactItem):
    kind: CauseKind | None = None


class SymptomItem(FactItem):
    frequency: Frequency | None = None
    onset: str | None = Field(default=None, max_length=200)
    codes: list[CodeRef] = Field(default_factory=list)


class TestKind(StrEnum):
    EXAM = "exam"
    ELECTRODIAGNOSTIC = "electrodiagnostic"
    LABORATORY = "laboratory"
    IMAGING = "imaging"
    GENETIC = "genetic"
    OTHER = "other"


class TestItem(FactItem):
    kind: TestKind | None = None
    codes: list[CodeRef] = Field(default_factory=list)


class InterventionKind(StrEnum):
    THERAPY = "therapy"
    DEVICE = "device"
    MEDICATION = "medication"
    SURGERY = "surgery"
    LIFESTYLE = "lifestyle"
    SUPPORTIVE = "supportive"
    OTHER = "other"


class InterventionItem(FactItem):
    kind: InterventionKind | None = None
    codes: list[CodeRef] = Field(default_factory=list)


class DrugItem(FactItem):
    drug_class: str | None = Field(default=None, max_length=200)
    examples: list[Name] = Field(
        default_factory=list, description="Named medicines of this class that the source mentions."
    )
    codes: list[CodeRef] = Field(default_factory=list)


ITEM_TYPES: dict[str, type[FactItem]] = {
    "fact": FactItem,
    "cause": CauseItem,
    "symptom": SymptomItem,
    "test": TestItem,
    "intervention": InterventionItem,
    "drug": DrugItem,
}
