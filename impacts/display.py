"""An estimate ready to show: the words, the figures and the equivalences, in one language."""

from dataclasses import dataclass, field

from impacts import equivalences, wording
from impacts.estimate import Estimate


@dataclass(frozen=True)
class Figures:
    line: str
    estimate: Estimate | None
    energy: str = ""
    emissions: str = ""
    water: str = ""
    phrases: list[equivalences.Phrase] = field(default_factory=list)

    @property
    def known(self) -> bool:
        return self.estimate is not None


def figures(
    estimate: Estimate | None, line: str, language: str = "fr", equivalence_limit: int = 3
) -> Figures:
    if estimate is None:
        return Figures(line=line, estimate=None)
    return Figures(
        line=line,
        estimate=estimate,
        energy=wording.span(estimate.energy_wh, "Wh", language),
        emissions=wording.span(estimate.gwp_g, "gCO2eq", language),
        water=wording.span(estimate.water_ml, "mL", language),
        phrases=equivalences.phrases(estimate, language, limit=equivalence_limit),
    )
