"""schema.org JSON-LD views of a record and of a section, built from the typed response models
(so they say exactly what the JSON says). IRIs are relative to the document URL, as JSON-LD
allows, so the same bytes serve any host."""

from typing import Any

from app.conditions.code_systems import CODE_SYSTEMS
from app.conditions.schemas import (
    CodeOut,
    ConditionRecord,
    SectionOut,
    SectionResponse,
    SourceOut,
)
from app.models.kinds import SECTION_INFO, SectionKind

CONTEXT = "https://schema.org"
JsonLd = dict[str, Any]

# Which MedicalCondition property lists a section's items, and as what type. Text-valued
# properties (possibleComplication, expectedPrognosis, epidemiology) take the items' names or
# the section summary.
_ITEM_PROPERTIES: dict[SectionKind, tuple[str, str]] = {
    SectionKind.SYMPTOMS: ("signOrSymptom", "MedicalSignOrSymptom"),
    SectionKind.CAUSES: ("cause", "MedicalCause"),
    SectionKind.RISK_FACTORS: ("riskFactor", "MedicalRiskFactor"),
    SectionKind.DIAGNOSIS: ("typicalTest", "MedicalTest"),
    SectionKind.TREATMENTS: ("possibleTreatment", "MedicalTherapy"),
    SectionKind.SURGERIES: ("possibleTreatment", "MedicalTherapy"),
    SectionKind.DRUGS: ("drug", "Drug"),
    SectionKind.PREVENTION: ("primaryPrevention", "MedicalTherapy"),
}
_TEXT_PROPERTIES: dict[SectionKind, str] = {
    SectionKind.COMPLICATIONS: "possibleComplication",
    SectionKind.PROGNOSIS: "expectedPrognosis",
    SectionKind.EPIDEMIOLOGY: "epidemiology",
}


def _medical_code(system: str, code: str, url: str | None = None) -> JsonLd:
    info = CODE_SYSTEMS.get(system)  # type: ignore[call-overload]
    node: JsonLd = {
        "@type": "MedicalCode",
        "codeValue": code,
        "codingSystem": info.name if info else system,
    }
    if url:
        node["url"] = url
    return node


def _code(code: CodeOut) -> JsonLd:
    return _medical_code(code.system, code.code, code.url)


def _source(source: SourceOut) -> JsonLd:
    node: JsonLd = {"@type": "CreativeWork", "name": source.title, "license": source.licence}
    optional = {
        "url": source.url,
        "version": source.version,
        "creditText": source.attribution,
        "publisher": {"@type": "Organization", "name": source.publisher}
        if source.publisher
        else None,
        "dateRead": source.retrieved.isoformat() if source.retrieved else None,
    }
    node.update({key: value for key, value in optional.items() if value is not None})
    return node


def _item(type_: str, item: Any) -> JsonLd:
    node: JsonLd = {"@type": type_, "name": item.name}
    if item.description:
        node["description"] = item.description
    codes = [_medical_code(code.system, code.code) for code in getattr(item, "codes", [])]
    if codes:
        node["code"] = codes
    if getattr(item, "drug_class", None):
        node["drugClass"] = {"@type": "DrugClass", "name": item.drug_class}
    return node


def _section_properties(section: SectionOut) -> JsonLd:
    """The MedicalCondition properties one section fills."""
    kind = SectionKind(section.kind)
    if kind in _ITEM_PROPERTIES:
        name, type_ = _ITEM_PROPERTIES[kind]
        # The imported annotations' present features are items too, so items say it all.
        items = section.items
        if kind == SectionKind.DIAGNOSIS:
            # An imported past medical history finding is not a MedicalTest: tests only.
            items = [item for item in items if getattr(item, "provenance", None) != "source"]
        values = [_item(type_, item) for item in items]
        return {name: values} if values else {}
    if kind in _TEXT_PROPERTIES:
        texts = [item.name for item in section.items] or [section.summary or ""]
        texts = [text for text in texts if text]
        return {_TEXT_PROPERTIES[kind]: texts} if texts else {}
    return {}


def _health_topic(section: SectionOut) -> JsonLd:
    node: JsonLd = {"@type": "HealthTopicContent", "@id": section.links.self, "name": section.title}
    aspect = SECTION_INFO[SectionKind(section.kind)].schema_org_aspect
    if aspect:
        node["hasHealthAspect"] = f"https://schema.org/{aspect}"
    if section.summary:
        node["text"] = section.summary
    return node


def record_jsonld(record: ConditionRecord) -> JsonLd:
    sections: list[SectionOut] = [
        section
        for kind in SectionKind
        if (section := getattr(record.sections, kind.value, None)) is not None
    ]
    document: JsonLd = {
        "@context": CONTEXT,
        "@type": "MedicalCondition",
        "@id": record.links.self,
        "url": record.links.self,
        "name": record.name,
    }
    names = list(dict.fromkeys([*record.synonyms, *record.consumer_names]))
    if names:
        document["alternateName"] = names
    if record.summary:
        document["description"] = record.summary
    if record.codes:
        document["code"] = [_code(code) for code in record.codes]
        document["sameAs"] = [code.url for code in record.codes if code.url]
    properties: dict[str, list[Any]] = {}
    for section in sections:
        for name, values in _section_properties(section).items():
            properties.setdefault(name, []).extend(values)
    document.update(properties)
    document["hasPart"] = [_health_topic(section) for section in sections]
    document.update(_provenance(record.sources, record))
    return document


def _provenance(sources: list[SourceOut], page: ConditionRecord | SectionResponse) -> JsonLd:
    node: JsonLd = {
        "citation": [_source(source) for source in sources],
        "dateModified": page.updated_at.isoformat(),
        "usageInfo": page.disclaimer,
    }
    if page.last_reviewed:
        node["lastReviewed"] = page.last_reviewed.isoformat()
    if page.attributions:
        node["creditText"] = " ".join(page.attributions)
    return node


def section_jsonld(section: SectionResponse) -> JsonLd:
    document: JsonLd = {"@context": CONTEXT, **_health_topic(section)}
    document["about"] = {
        "@type": "MedicalCondition",
        "@id": section.condition.links.self,
        "name": section.condition.name,
        **_section_properties(section),
    }
    document.update(_provenance(section.sources, section))
    return document
