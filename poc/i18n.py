"""The words of the reports in Danish and English. `LANG=da...` (or --lang da) gives Danish."""

from __future__ import annotations

import os

STRINGS = {
    "en": {
        "report_title": "OS2skole proof of concept", "comparison_title": "Comparison of suites",
        "suite": "Suite", "run": "Run", "version": "Version", "mode": "Mode", "started": "Started",
        "finished": "Finished", "harness": "Harness", "catalogue": "Catalogue", "status": "Status",
        "overall": "Overall score", "knockouts": "Must knock-outs", "coverage": "Coverage",
        "coverage_note": "requirements with at least one scenario or manual assessment",
        "categories": "Score per category", "requirements": "Requirements", "requirement": "Requirement",
        "priority": "Priority", "weight": "Weight", "verdict": "Verdict", "scenarios": "Scenarios",
        "evidence": "Evidence", "message": "Message", "duration": "Duration", "manual": "manual assessment",
        "by": "by", "no_knockouts": "No Must requirement is knocked out.",
        "knockouts_intro": "Must requirements that are not passed. Each excludes the suite unless resolved.",
        "untested_intro": "Requirements no scenario or assessment covers yet (the same for every suite):",
        "legend": "What the verdicts mean", "how_scored": "How the score is computed",
        "how_scored_text": ("Each category's score is the weighted share of its tested requirements that passed "
                            "(a partial requirement counts by the share of its scenarios that passed; fail, "
                            "unsupported and error count as 0; not-tested requirements are left out and shown as "
                            "coverage). The overall score weighs the categories by the weights in the catalogue. "
                            "A Must requirement that is not passed is a knock-out."),
        "status_completed": "completed", "status_cut-short": "cut short", "status_start-failed": "did not start",
        "status_interrupted": "interrupted", "status_running": "running",
        "cut_short_banner": "This run was cut short; the scenarios after the fault are marked error.",
        "start_failed_banner": "The suite did not start; every scenario is marked error.",
        "interrupted_banner": "The run was interrupted before it finished.",
        "left_behind_banner": "The clean-up could not remove everything the run made on the deployment:",
        "left_behind_how": "to remove it",
        "details": "Run details", "packages": "Package versions", "scenario_files": "Scenario files (sha256)",
        "none": "none", "generated": "Generated", "acceptance": "Acceptance criteria", "source": "Source",
        "capability": "Capability", "category": "Category", "all_suites": "Suites compared",
        "open_report": "open report", "score": "Score", "title": "Title", "verdicts": "Verdicts",
        "no_runs": "No runs yet. Run: make evaluate SUITE=baseline",
        "offline_note": "This page is self-contained: opening it makes no network request.",
        # manual assessments: proposed (drafted from public sources) vs confirmed, and the reference columns
        "proposed": "proposed", "confirmed": "confirmed", "not_counted": "not counted",
        "assessment_proposed": "Proposed (draft from public sources, to be confirmed)",
        "assessment_confirmed": "Confirmed", "assessment_open": "Open", "sources": "Sources", "read_on": "read",
        "consulted": "Consulted", "assessments_counted": "Manual assessments counted",
        "assessments_confirmed": "confirmed only", "assessments_all": "confirmed and proposed",
        "manual_counts": ("{manual} requirements need a person's judgement: {confirmed} confirmed, {proposed} proposed "
                          "({proposed_counted} of them counted), {open} open, {unassessed} not assessed yet."),
        "reference_group": "Today's solution (reference)",
        "reference_intro": ("Reference columns for the cloud suites schools use today. Nothing of them is installed "
                            "or run here: they are assessed from public sources only (above all the Danish Data "
                            "Protection Agency's decisions and the vendors' published terms), so every automated "
                            "requirement is not tested for them and their score covers the manual requirements only."),
        "reference_short": "reference, no server", "reference_note": "reference: no server, public sources only",
        "status_reference": "reference (public sources only)", "candidates": "Candidates (evaluated here)",
        "pass": "pass", "partial": "partial", "fail": "fail", "unsupported": "unsupported",
        "error": "error", "not-tested": "not tested", "skipped": "skipped",
        "must": "Must", "should": "Should", "could": "Could", "wont": "Won't",
        "legend_pass": "all its scenarios passed", "legend_partial": "some of its scenarios passed",
        "legend_fail": "the suite did not do what the requirement asks",
        "legend_unsupported": "the suite does not offer the capability",
        "legend_error": "the harness or the suite broke; not the suite's fault until shown",
        "legend_not-tested": "no scenario or assessment yet",
        "verdict_line": ("Overall {overall} of {judged}/{total} requirements judged ({not_verified} not verified), "
                         "{knockouts} Must knock-out(s), coverage {coverage}"),
        "mismatch": "Runs compared", "category_scores": "Category scores",
        "scope": "Scope", "scope_all": "all scenarios", "scope_only": "{kind} only",
        "scope_no_load": "load stage left out", "scope_selection": "only {n} chosen file(s) or scenario(s)",
        "scope_deselected": "{n} scenario(s) left out", "kind_api": "API", "kind_ui": "UI (browser)",
        "kind_load": "load", "kind_conformance": "conformance suites", "disputed": "disputed by a conformance suite", "attempt": "attempt", "attempts": "Attempts (not in the comparison)",
        "attempts_intro": ("Runs that were not complete, made since a suite's latest complete run (all of them for "
                           "a suite that has none): the suite did not start, the run was cut short or interrupted, "
                           "or it covered only part of the scenarios (ONLY=, -k). They are listed here and never "
                           "replace a complete run."),
        "attempts_more": "{n} older attempt(s) are listed in comparison.json.",
        "newer_attempts": "{n} newer attempt(s), not compared", "no_complete_run": "No complete run yet",
        "standin_note": "Shown is an attempt: the verdicts it recorded, not a score.",
        "shown_in_column": "shown in the suite's column",
        "attempt_report": ("An attempt ({status}; {scope}): it does not replace the suite's latest complete run "
                           "in the comparison and is not scored there."),
        "attempt_kept": "an attempt: the comparison keeps run {run} of {date}",
        "attempt_none": "an attempt: this suite has no complete run yet",
        "no_verdicts": "no verdicts: the suite did not start",
    },
    "da": {
        "report_title": "OS2skole proof of concept", "comparison_title": "Sammenligning af løsninger",
        "suite": "Løsning", "run": "Kørsel", "version": "Version", "mode": "Driftsform", "started": "Startet",
        "finished": "Afsluttet", "harness": "Testværktøj", "catalogue": "Kravkatalog", "status": "Status",
        "overall": "Samlet score", "knockouts": "Knock-outs (skal-krav)", "coverage": "Dækning",
        "coverage_note": "krav med mindst ét scenarie eller én manuel vurdering",
        "categories": "Score pr. kategori", "requirements": "Krav", "requirement": "Krav",
        "priority": "Prioritet", "weight": "Vægt", "verdict": "Resultat", "scenarios": "Scenarier",
        "evidence": "Dokumentation", "message": "Besked", "duration": "Varighed", "manual": "manuel vurdering",
        "by": "af", "no_knockouts": "Ingen skal-krav er slået ud.",
        "knockouts_intro": "Skal-krav der ikke er bestået. Hvert af dem udelukker løsningen, medmindre det løses.",
        "untested_intro": "Krav som endnu intet scenarie eller nogen vurdering dækker (ens for alle løsninger):",
        "legend": "Hvad resultaterne betyder", "how_scored": "Sådan beregnes scoren",
        "how_scored_text": ("En kategoris score er den vægtede andel af dens testede krav, der er bestået (et delvist "
                            "bestået krav tæller med andelen af beståede scenarier; ikke bestået, understøttes ikke "
                            "og fejl tæller 0; ikke testede krav udelades og vises som dækning). Den samlede score "
                            "vægter kategorierne med vægtene i kravkataloget. Et skal-krav, der ikke er bestået, "
                            "er en knock-out."),
        "status_completed": "gennemført", "status_cut-short": "afbrudt undervejs",
        "status_start-failed": "startede ikke", "status_interrupted": "afbrudt", "status_running": "kører",
        "cut_short_banner": "Kørslen blev afbrudt undervejs; scenarierne efter fejlen er markeret som fejl.",
        "start_failed_banner": "Løsningen startede ikke; alle scenarier er markeret som fejl.",
        "interrupted_banner": "Kørslen blev afbrudt, før den var færdig.",
        "left_behind_banner": "Oprydningen kunne ikke fjerne alt, hvad kørslen oprettede på installationen:",
        "left_behind_how": "sådan fjernes det",
        "details": "Detaljer om kørslen", "packages": "Pakkeversioner", "scenario_files": "Scenariefiler (sha256)",
        "none": "ingen", "generated": "Dannet", "acceptance": "Acceptkriterier", "source": "Kilde",
        "capability": "Funktion", "category": "Kategori", "all_suites": "Sammenlignede løsninger",
        "open_report": "åbn rapport", "score": "Score", "title": "Titel", "verdicts": "Resultater",
        "no_runs": "Ingen kørsler endnu. Kør: make evaluate SUITE=baseline",
        "offline_note": "Siden er selvstændig: den henter intet fra netværket, når den åbnes.",
        # manuelle vurderinger: foreslået (udkast fra offentlige kilder) eller bekræftet, og referencekolonnerne
        "proposed": "foreslået", "confirmed": "bekræftet", "not_counted": "tæller ikke med",
        "assessment_proposed": "Foreslået (udkast fra offentlige kilder, skal bekræftes)",
        "assessment_confirmed": "Bekræftet", "assessment_open": "Åben", "sources": "Kilder", "read_on": "læst",
        "consulted": "Konsulteret", "assessments_counted": "Manuelle vurderinger, der tæller med",
        "assessments_confirmed": "kun bekræftede", "assessments_all": "bekræftede og foreslåede",
        "manual_counts": ("{manual} krav kræver en persons vurdering: {confirmed} bekræftet, {proposed} foreslået "
                          "({proposed_counted} af dem tæller med), {open} åbne, {unassessed} endnu ikke vurderet."),
        "reference_group": "Dagens løsning (reference)",
        "reference_intro": ("Referencekolonner for de skyløsninger, skolerne bruger i dag. Intet af dem er installeret "
                            "eller kørt her: de er vurderet ud fra offentlige kilder alene (først og fremmest "
                            "Datatilsynets afgørelser og leverandørernes offentliggjorte vilkår), så alle automatiske "
                            "krav er ikke testet for dem, og deres score dækker kun de manuelle krav."),
        "reference_short": "reference, ingen server", "reference_note": "reference: ingen server, kun offentlige kilder",
        "status_reference": "reference (kun offentlige kilder)", "candidates": "Kandidater (evalueret her)",
        "pass": "bestået", "partial": "delvist", "fail": "ikke bestået", "unsupported": "understøttes ikke",
        "error": "fejl", "not-tested": "ikke testet", "skipped": "sprunget over",
        "must": "Skal", "should": "Bør", "could": "Kan", "wont": "Ikke nu",
        "legend_pass": "alle krav-scenarier bestod", "legend_partial": "nogle af scenarierne bestod",
        "legend_fail": "løsningen gjorde ikke, hvad kravet kræver",
        "legend_unsupported": "løsningen tilbyder ikke funktionen",
        "legend_error": "testværktøjet eller løsningen fejlede; ikke løsningens skyld, før det er vist",
        "legend_not-tested": "intet scenarie eller vurdering endnu",
        "verdict_line": ("Samlet {overall} af {judged}/{total} vurderede krav ({not_verified} ikke verificeret), "
                         "{knockouts} knock-out(s) på skal-krav, dækning {coverage}"),
        "mismatch": "Sammenlignede kørsler", "category_scores": "Kategoriscorer",
        "scope": "Omfang", "scope_all": "alle scenarier", "scope_only": "kun {kind}",
        "scope_no_load": "belastningstrinnet udeladt", "scope_selection": "kun {n} udvalgt(e) fil(er) eller scenarie(r)",
        "scope_deselected": "{n} scenarie(r) udeladt", "kind_api": "API", "kind_ui": "brugerflade (browser)",
        "kind_load": "belastning", "kind_conformance": "konformitetstests", "disputed": "omstridt af en konformitetstest", "attempt": "forsøg", "attempts": "Forsøg (indgår ikke i sammenligningen)",
        "attempts_intro": ("Kørsler, der ikke var fuldstændige, siden en løsnings seneste fuldstændige kørsel (alle, "
                           "for en løsning uden en sådan): løsningen startede ikke, kørslen blev afbrudt, eller den "
                           "dækkede kun en del af scenarierne (ONLY=, -k). De vises her og erstatter aldrig en "
                           "fuldstændig kørsel."),
        "attempts_more": "{n} ældre forsøg står i comparison.json.",
        "newer_attempts": "{n} nyere forsøg, ikke sammenlignet", "no_complete_run": "Ingen fuldstændig kørsel endnu",
        "standin_note": "Vist er et forsøg: de resultater, det registrerede, ikke en score.",
        "shown_in_column": "vist i løsningens kolonne",
        "attempt_report": ("Et forsøg ({status}; {scope}): det erstatter ikke løsningens seneste fuldstændige "
                           "kørsel i sammenligningen og indgår ikke i dens score."),
        "attempt_kept": "et forsøg: sammenligningen beholder kørsel {run} fra {date}",
        "attempt_none": "et forsøg: løsningen har endnu ingen fuldstændig kørsel",
        "no_verdicts": "ingen resultater: løsningen startede ikke",
    },
}

# How many requirements a score rests on: judged (any verdict but not-tested), and not verified (tried: a
# scenario ran but could not judge, e.g. a load stage smaller or shorter than the school day it stands for)
STRINGS["en"].update({
    "judged": "judged", "judged_of": "{judged} of {total} judged", "not_verified": "not verified",
    "not_verified_n": "{n} not verified", "few_judged": "judged on few of its requirements",
    "overall_rests_on": "of the {judged} of {total} requirements judged; {not_verified} not verified, {untested} not tested",
    "judged_note": ("A score covers only the requirements judged in it (the count beside it); not verified "
                    "requirements (tried, but the scenario could not judge them) and not tested ones are left out "
                    "of it and counted beside it. ⚠ marks a category judged on fewer than half of its requirements."),
})
STRINGS["da"].update({
    "judged": "vurderet", "judged_of": "{judged} af {total} vurderet", "not_verified": "ikke verificeret",
    "not_verified_n": "{n} ikke verificeret", "few_judged": "vurderet på få af sine krav",
    "overall_rests_on": "af de {judged} af {total} krav, der er vurderet; {not_verified} ikke verificeret, {untested} ikke testet",
    "judged_note": ("En score dækker kun de krav, der er vurderet i den (tallet ved siden af); krav, der ikke er "
                    "verificeret (forsøgt, men scenariet kunne ikke afgøre dem), og ikke testede krav indgår ikke, men "
                    "tælles ved siden af. ⚠ markerer en kategori, der er vurderet på under halvdelen af sine krav."),
})


def language(explicit: str | None = None) -> str:
    value = (explicit or os.environ.get("POC_LANG") or os.environ.get("LANG") or "en").lower()
    return "da" if value.startswith("da") else "en"


def strings(lang: str) -> dict:
    return STRINGS["da" if lang == "da" else "en"]
