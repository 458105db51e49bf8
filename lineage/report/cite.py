"""``lineage cite``: a methods paragraph for a paper, with BibTeX of the sources used.

The paragraph gives a model's own, inherited and cumulative emissions, the allocation policy
and what it assumes, and the date the registry entries were checked; the BibTeX lists the
sources of the model's steps and of every ancestor that contributes to it.
"""

from __future__ import annotations

import re

from lineage.core.engine import Results
from lineage.model.graph import source_spec
from lineage.model.policy import POLICIES
from lineage.model.spec_base import source_refs
from lineage.report.tables import fmt, unknown_phrase


def bib_key(ref: str) -> str:
    """A BibTeX key from a source id or URL: letters, digits and dashes.

    >>> bib_key("https://arxiv.org/abs/2311.16863"), bib_key("llama-2-card")
    ('arxiv-org-abs-2311-16863', 'llama-2-card')
    """
    ref = re.sub(r"^https?://", "", ref)
    return re.sub(r"[^A-Za-z0-9]+", "-", ref).strip("-")


def sources(results: Results, model: str) -> dict[str, tuple[str | None, str | None]]:
    """BibTeX key → (title, url) of every step source of ``model`` and its contributors."""
    c = results.costs[model]
    out: dict[str, tuple[str | None, str | None]] = {}
    for m in [model, *(x.model for x in c.contributions)]:
        entry = results.project.models[m]
        for step in entry.spec.steps:
            refs = source_refs(step.source) or source_refs(entry.spec.source)
            if step.teacher_inference is not None:
                refs += source_refs(step.teacher_inference.source)
            for r in refs:
                s = source_spec(entry.file, r)
                out.setdefault(bib_key(r), (s.title, s.url))
    return dict(sorted(out.items()))


def _latex(text: str) -> str:
    for a, b in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("$", r"\$"),
                 ("#", r"\#"), ("_", r"\_"), ("{", r"\{"), ("}", r"\}"), ("≥", r"$\geq$"),
                 ("–", "--"), ("×", r"$\times$")):
        text = text.replace(a, b)
    return text


def bibtex(entries: dict[str, tuple[str | None, str | None]]) -> str:
    out = []
    for key, (title, url) in entries.items():
        fields = [f"  title = {{{_latex(title)}}}"] if title else []
        fields += [f"  howpublished = {{\\url{{{url}}}}}"] if url else []
        out.append(f"@misc{{{key},\n" + ",\n".join(fields) + "\n}\n")
    return "\n".join(out)


def paragraph(results: Results, model: str) -> str:
    """The methods paragraph (plain text)."""
    c = results.costs[model]
    entry = results.project.models[model]
    own = fmt(c.own_kgco2e_bound, c.is_own_complete)
    inherited = fmt(c.inherited_kgco2e_bound, c.is_inherited_complete)
    cumulative = fmt(c.cumulative_kgco2e_bound, c.is_complete)
    checked = entry.file.spec.checked
    text = (f"We estimate the cumulative training emissions of {entry.label} at {cumulative}: "
            f"{own} for its own training steps and {inherited} inherited from the models it "
            f"was derived from. We computed them with lineage under the \"{c.policy}\" "
            f"allocation policy, which assumes that {POLICIES[c.policy]}.")
    if not c.is_complete:
        text += (" Figures marked ≥ are lower bounds: "
                 f"{unknown_phrase(c, verb='was not published')}.")
    if checked:
        text += f" The registry entry was last checked on {checked}."
    return text


def render(results: Results, model: str, fmt_: str) -> str:
    """The paragraph and BibTeX as Markdown or LaTeX."""
    text = paragraph(results, model)
    cited = sources(results, model)  # BibTeX key → (title, url), by key
    bib = bibtex(cited)
    if fmt_ == "latex":
        cite = f" Sources: \\cite{{{','.join(cited)}}}." if cited else ""
        return f"{_latex(text)}{cite}\n\n% BibTeX\n" + \
            "".join(f"% {line}\n" if line else "%\n" for line in bib.splitlines())
    cite = f" Sources: {', '.join(f'[@{k}]' for k in cited)}." if cited else ""
    return f"{text}{cite}\n\n```bibtex\n{bib}```\n"
