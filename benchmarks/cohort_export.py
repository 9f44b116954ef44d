"""A seeded generator of realistic FHIR R4 bulk exports (one NDJSON file per resource type).

Each patient gets the records NCT04604691's criteria read (diagnosis, CD19,
marrow, blocks, MRD, blood counts, chemistry, serology, pregnancy test, CSF,
peripheral blasts), drawn so that every status of every criterion occurs in a
cohort of a few hundred: values around the thresholds, results inside and just
outside their windows, missing results, excluding histories, periods under way
at D. Beside them, about five times as many resources no criterion uses:
encounters, vital signs, unrelated labs and diagnoses, claims, documents.

    python benchmarks/cohort_export.py OUT_DIR N [--seed 7]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
from pathlib import Path
from typing import Any, Callable

AS_OF = dt.date(2025, 3, 1)
LOINC, SCT, ICD = "http://loinc.org", "http://snomed.info/sct", "http://hl7.org/fhir/sid/icd-10-cm"
RXNORM, LOCAL, UCUM = "http://www.nlm.nih.gov/research/umls/rxnorm", "https://w3id.org/blinakg/code", "http://unitsofmeasure.org"
NEGATIVE, POSITIVE = (SCT, "260385009"), (SCT, "10828004")
TYPES = ("Patient", "Observation", "Condition", "Procedure", "MedicationAdministration", "MedicationStatement",
         "AllergyIntolerance", "Consent", "Encounter", "Claim", "DocumentReference")


def _cc(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    coding: dict[str, Any] = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return {"coding": [coding]}


class Patient:
    """Writes one patient's resources into the per-type sinks."""

    def __init__(self, rng: random.Random, index: int, emit: Callable[[str, dict[str, Any]], None]):
        self.rng, self.emit = rng, emit
        self.id = f"p{index:06d}"
        self.n = 0

    def day(self, days_before: int) -> str:
        return (AS_OF - dt.timedelta(days=days_before)).isoformat()

    def rid(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}-{self.id}-{self.n}"

    def subject(self) -> dict[str, str]:
        return {"reference": f"Patient/{self.id}"}

    def obs(self, code: tuple[str, str], days: int, **value: Any) -> None:
        resource = {"resourceType": "Observation", "id": self.rid("obs"), "status": "final", "code": _cc(*code),
                    "subject": self.subject(), "effectiveDateTime": self.day(days) + "T08:30:00Z", **value}
        self.emit("Observation", resource)

    def qty(self, code: tuple[str, str], days: int, value: float, unit: str, high: float | None = None) -> None:
        extra: dict[str, Any] = {"valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit}}
        if high is not None:
            extra["referenceRange"] = [{"high": {"value": high, "unit": unit, "system": UCUM, "code": unit}}]
        self.obs(code, days, **extra)

    def qual(self, code: tuple[str, str], days: int, positive: bool) -> None:
        self.obs(code, days, valueCodeableConcept=_cc(*(POSITIVE if positive else NEGATIVE)))

    def cond(self, system: str, code: str, days: int, status: str = "active") -> None:
        self.emit("Condition", {"resourceType": "Condition", "id": self.rid("cond"), "subject": self.subject(),
                                "clinicalStatus": _cc("http://terminology.hl7.org/CodeSystem/condition-clinical", status),
                                "code": _cc(system, code), "onsetDateTime": self.day(days)})

    def proc(self, system: str, code: str, days: int, period: int | None = None) -> None:
        resource: dict[str, Any] = {"resourceType": "Procedure", "id": self.rid("proc"), "status": "completed",
                                    "subject": self.subject(), "code": _cc(system, code)}
        if period is None:
            resource["performedDateTime"] = self.day(days)
        else:
            resource["performedPeriod"] = {"start": self.day(days), "end": self.day(days - period)}
        self.emit("Procedure", resource)

    def write(self) -> None:
        r = self.rng
        chance = r.random
        female = chance() < 0.5
        age_days = r.randint(365, 19 * 365)
        birth = (AS_OF - dt.timedelta(days=age_days)).isoformat()
        self.emit("Patient", {"resourceType": "Patient", "id": self.id, "gender": "female" if female else "male",
                              "birthDate": birth[:7] if chance() < 0.05 else birth})
        if chance() < 0.6:
            self.emit("Consent", {"resourceType": "Consent", "id": self.rid("consent"), "status": "active",
                                  "scope": _cc("http://terminology.hl7.org/CodeSystem/consentscope", "research"),
                                  "category": [_cc(LOINC, "59284-0")], "patient": self.subject(),
                                  "dateTime": self.day(r.randint(1, 30))})
        if chance() < 0.95:
            self.cond(SCT, r.choice(["91857003", "277571004", "277572006"]), r.randint(200, 900))
        if chance() < 0.9:
            self.qual(("https://w3id.org/blinakg/code", "cd19-blasts"), r.randint(100, 800), chance() < 0.93)
        if chance() < 0.9:
            self.qty((LOINC, "11150-0"), r.randint(1, 45), round(r.uniform(0, 7), 1), "%")
        for block in range(r.choice([2, 3, 3, 4])):
            self.proc(LOCAL, "intensive-chemo-block", r.randint(60, 400) - block * 20, period=r.choice([None, 5]))
        if chance() < 0.9:
            sensitivity = r.choice([0.00001, 0.000001, 0.0001])
            mrd = r.choice([0.00005, 0.0001, 0.0003, 0.002])
            self.obs((LOCAL, "mrd"), r.randint(1, 45),
                     valueQuantity={"value": mrd, "unit": "1", "system": UCUM, "code": "1"},
                     component=[{"code": _cc(LOCAL, "mrd-sensitivity"),
                                 "valueQuantity": {"value": sensitivity, "unit": "1", "system": UCUM, "code": "1"}}])
        counts = [((LOINC, "751-8"), (0.6, 4.0), "10*9/L"), ((LOINC, "777-3"), (30, 300), "10*9/L"),
                  ((LOINC, "718-7"), (7.5, 13), "g/dL")]
        for code, (low, high), unit in counts:
            if chance() < 0.93:
                self.qty(code, r.randint(0, 16), round(r.uniform(low, high), 1), unit)
        for code, uln in (("1920-8", 40), ("1742-6", 45), ("6768-6", 300)):
            if chance() < 0.93:
                self.qty((LOINC, code), r.randint(0, 16), round(r.uniform(10, 2.3 * uln)), "U/L", high=uln)
        if chance() < 0.93:
            self.qty((LOINC, "1975-2"), r.randint(0, 16), round(r.uniform(0.2, 2.2), 1), "mg/dL", high=1.2)
        if chance() < 0.5:
            self.qty((LOINC, "50384-7"), r.randint(0, 16), r.randint(35, 160), "mL/min/{1.73_m2}")
        else:
            self.qty((LOINC, "2160-0"), r.randint(0, 16), round(r.uniform(0.2, 1.6), 2), "mg/dL")
            self.qty((LOINC, "8302-2"), r.randint(0, 100), r.randint(80, 175), "cm")
        for code in ("56888-1", "5196-1", "13955-0"):
            if chance() < 0.92:
                self.qual((LOINC, code), r.randint(0, 100), chance() < 0.03)
        if female and chance() < 0.8:
            self.qual((LOINC, "2106-3"), r.randint(0, 9), chance() < 0.03)
        if chance() < 0.9:
            self.qty((LOINC, "26446-5"), r.randint(0, 16), r.choice([0, 0, 0, 1.5]), "%")
        if chance() < 0.9:
            self.qual((LOCAL, "csf-blasts"), r.randint(1, 45), chance() < 0.05)
        rare = [
            lambda: self.cond(SCT, "84757009", r.randint(100, 2000)),  # epilepsy: E2 fail
            lambda: self.cond(ICD, "G43.909", r.randint(100, 2000)),  # migraine: E2 review
            lambda: self.cond(SCT, "24700007", r.randint(100, 2000)),  # multiple sclerosis: E4
            lambda: self.proc(SCT, "367336001", r.randint(5, 20)),  # systemic chemo: E5 either side of 14 days
            lambda: self.proc(SCT, "108290001", r.randint(20, 40), period=10),  # radiotherapy course: E6
            lambda: self.proc(SCT, "709115004", r.randint(30, 60)),  # autologous HSCT: E7
            lambda: self.emit("MedicationAdministration", {
                "resourceType": "MedicationAdministration", "id": self.rid("ma"), "status": "completed",
                "medicationCodeableConcept": _cc(RXNORM, "121191"), "subject": self.subject(),
                "effectivePeriod": {"start": self.day(r.randint(20, 40)), "end": self.day(r.randint(0, 19))}}),  # E8
            lambda: self.emit("MedicationStatement", {
                "resourceType": "MedicationStatement", "id": self.rid("ms"), "status": "active",
                "medicationCodeableConcept": _cc(LOCAL, "investigational-product"), "subject": self.subject(),
                "effectivePeriod": {"start": self.day(r.randint(10, 120))}}),  # E9: open statement
            lambda: self.emit("AllergyIntolerance", {
                "resourceType": "AllergyIntolerance", "id": self.rid("allergy"), "patient": self.subject(),
                "code": _cc(LOCAL, "immunoglobulin"), "recordedDate": self.day(r.randint(10, 900))}),  # E10
            lambda: self.cond(ICD, "C50.9", r.randint(10, 900)),  # E11
            lambda: self.cond(ICD, "A41.9", r.randint(1, 30)),  # E12 fail
            lambda: self.proc(LOCAL, "allogeneic-hsct", r.randint(10, 400)),  # I4 fail
        ]
        for make in rare:
            if chance() < 0.04:
                make()
        self.irrelevant()

    def irrelevant(self) -> None:
        """About five resources no criterion reads for each one it does."""
        r = self.rng
        for _ in range(r.randint(25, 45)):
            self.emit("Encounter", {"resourceType": "Encounter", "id": self.rid("enc"), "status": "finished",
                                    "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
                                    "type": [_cc(SCT, "185349003", "Encounter for check up")], "subject": self.subject(),
                                    "period": {"start": self.day(r.randint(0, 900)) + "T09:00:00Z"}})
        for _ in range(r.randint(40, 70)):
            code = r.choice([("8867-4", "/min", 60, 140), ("8480-6", "mm[Hg]", 90, 130), ("29463-7", "kg", 10, 70),
                             ("2345-7", "mg/dL", 70, 140), ("2951-2", "mmol/L", 135, 145), ("9279-1", "/min", 12, 30)])
            self.qty((LOINC, code[0]), r.randint(0, 900), round(r.uniform(code[2], code[3]), 1), code[1])
        for _ in range(r.randint(3, 8)):
            self.cond(SCT, r.choice(["38341003", "195662009", "444814009", "10509002", "65363002"]), r.randint(0, 2000),
                      status=r.choice(["active", "resolved"]))
        for _ in range(r.randint(20, 35)):
            self.emit("Claim", {"resourceType": "Claim", "id": self.rid("claim"), "status": "active",
                                "patient": self.subject(), "created": self.day(r.randint(0, 900)),
                                "total": {"value": round(r.uniform(50, 5000), 2), "currency": "USD"}})
        for _ in range(r.randint(10, 20)):
            self.emit("DocumentReference", {"resourceType": "DocumentReference", "id": self.rid("doc"),
                                            "status": "current", "subject": self.subject(),
                                            "type": _cc(LOINC, "34117-2"),
                                            "content": [{"attachment": {"contentType": "text/plain",
                                                                        "data": "Tm90ZXMgb2YgdGhlIHZpc2l0Lg=="}}]})


def generate(out: Path, patients: int, seed: int = 7) -> dict[str, int]:
    """Write a bulk export of ``patients`` patients into ``out``; returns resources per type."""
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    handles = {kind: open(out / f"{kind}.ndjson", "w", encoding="utf-8") for kind in TYPES}
    counts = {kind: 0 for kind in TYPES}

    def emit(kind: str, resource: dict[str, Any]) -> None:
        handles[kind].write(json.dumps(resource, separators=(",", ":")) + "\n")
        counts[kind] += 1

    try:
        for index in range(patients):
            Patient(rng, index, emit).write()
    finally:
        for handle in handles.values():
            handle.close()
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("patients", type=int)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    counts = generate(args.out, args.patients, args.seed)
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
