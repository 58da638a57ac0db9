"""The commands others script against: tourist_tax_rates import|export (CSV) and
tourist_tax_quote (JSON)."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from wagtail.models import Site

from marketplace.tourist_tax.models import TouristTaxRate
from marketplace.tourist_tax.rates_io import RatesImportError, rates_export, rates_import

GOOD = (
    "commune;code_insee;categorie;date_debut;date_fin;tarif;taux;plafond;"
    "taxe_additionnelle_departementale;taxe_additionnelle_regionale;loyer_minimum\n"
    "Arvière-le-Bourg;42010;camping_3_5;2026-01-01;;0,55;;;10;;\n"
    "Arvière-le-Bourg;42010;unclassified;2026-01-01;2026-12-31;;5;2,30;10;;\n"
    "Vernois-le-Haut;;4_stars;2026-01-01;;1.50;;;0;15;12,00\n"
)


@pytest.fixture
def site(territory):
    return Site.objects.get(is_default_site=True)


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_import_then_export_round_trips(site, tmp_path):
    path = tmp_path / "tarifs.csv"
    path.write_text(GOOD, encoding="utf-8")
    assert "Imported 3 new rates, replaced 0." in run("tourist_tax_rates", "import", str(path))
    rows = {r.category: r for r in TouristTaxRate.objects.filter(site=site)}
    assert rows["camping_3_5"].rate == 55
    assert rows["unclassified"].cap == 230 and str(rows["unclassified"].percent) == "5.00"
    assert rows["4_stars"].low_rent_threshold == 1200

    exported = run("tourist_tax_rates", "export")
    assert exported.splitlines()[0] == GOOD.splitlines()[0]
    assert "Vernois-le-Haut;;4_stars;2026-01-01;;1.50;;;0;15;12.00" in exported
    # Importing the export changes nothing (each row replaces itself).
    again = tmp_path / "export.csv"
    again.write_text(exported, encoding="utf-8")
    assert "Imported 0 new rates, replaced 3." in run("tourist_tax_rates", "import", str(again))
    assert rates_export(site=site) == exported
    assert TouristTaxRate.objects.count() == 3


def test_comma_separated_files_and_missing_optional_columns_are_read(site):
    text = "commune,categorie,date_debut,tarif\nLachaux-sur-Ance,chambres_hotes,2026-01-01,0.60\n"
    assert rates_import(site=site, text=text) == {"created": 1, "replaced": 0}
    assert TouristTaxRate.objects.get().rate == 60


BAD = (
    "commune;categorie;date_debut;tarif;taux;plafond\n"
    "Arvière-le-Bourg;camping_3_5;2026-01-01;0,55;;\n"
    "Arvière-le-Bourg;camping_3_5;2026-06-01;0,60;;\n"
    "Arvière-le-Bourg;unclassified;2026-01-01;;7;2,30\n"
    "Arvière-le-Bourg;motel;2026-01-01;1;;\n"
    "Arvière-le-Bourg;3_stars;01/01/2026;abc;;\n"
)


def test_import_is_all_or_nothing_and_names_line_and_column(site):
    with translation.override("en"), pytest.raises(RatesImportError) as caught:
        rates_import(site=site, text=BAD)
    messages = caught.value.messages
    assert TouristTaxRate.objects.count() == 0  # the good first line was not kept
    assert any(m.startswith("line 3, column “date_debut”") for m in messages), messages
    assert any(m.startswith("line 4, column “taux”") and "between 1 and 5" in m for m in messages)
    assert any(m.startswith("line 5, column “categorie”") for m in messages)
    assert any(m.startswith("line 6, column “date_debut”") for m in messages)
    assert any(m.startswith("line 6, column “tarif”") for m in messages)
    assert not any(m.startswith("line 2,") for m in messages)

    with translation.override("fr"), pytest.raises(RatesImportError) as caught:
        rates_import(site=site, text=BAD)
    messages = caught.value.messages
    assert any(m.startswith("ligne 4, colonne « taux »") and "entre 1 et 5" in m for m in messages)
    assert any(m.startswith("ligne 6, colonne « tarif »") for m in messages)


def test_import_refuses_unknown_and_missing_columns(site, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("commune;categorie;prix\nX;3_stars;1\n", encoding="utf-8")
    with translation.override("en"), pytest.raises(CommandError) as caught:
        run("tourist_tax_rates", "import", str(path))
    message = str(caught.value)
    assert message.startswith("Nothing imported.")
    assert "line 1, column “prix”: unknown column." in message
    assert "line 1, column “date_debut”: this column is required." in message
    assert TouristTaxRate.objects.count() == 0


def test_import_into_another_site(site, tmp_path):
    other = Site.objects.create(hostname="autre.localhost", root_page=site.root_page)
    path = tmp_path / "tarifs.csv"
    path.write_text(GOOD, encoding="utf-8")
    run("tourist_tax_rates", "import", str(path), "--site", "autre.localhost")
    assert TouristTaxRate.objects.filter(site=other).count() == 3
    assert TouristTaxRate.objects.filter(site=site).count() == 0
    assert run("tourist_tax_rates", "export").count("\n") == 1  # the default site: header only


def test_quote_command_prints_the_json(site):
    rates_import(site=site, text=GOOD)
    out = run(
        "tourist_tax_quote",
        "--commune",
        "Arvière-le-Bourg",
        "--category",
        "unclassified",
        "--nights",
        "7",
        "--adults",
        "2",
        "--minors",
        "2",
        "--price-per-night",
        "10000",
        "--date",
        "2026-07-14",
    )
    assert json.loads(out) == {
        "rate_per_person_night": 125,
        "persons_taxed": 2,
        "nights": 7,
        "base": 1750,
        "surcharges": {"departmental": 182},
        "total": 1932,
    }
    out = run(
        "tourist_tax_quote",
        "--commune",
        "Vernois-le-Haut",
        "--category",
        "4_stars",
        "--nights",
        "2",
        "--adults",
        "1",
        "--price-per-night",
        "15000",
        "--date",
        "2026-07-14",
    )
    assert json.loads(out) == {
        "rate_per_person_night": 150,
        "persons_taxed": 1,
        "nights": 2,
        "base": 300,
        "surcharges": {"regional": 46},
        "total": 346,
    }


def test_quote_command_errors_clearly(site):
    rates_import(site=site, text=GOOD)
    with translation.override("en"), pytest.raises(CommandError, match="No tourist tax rate"):
        run(
            "tourist_tax_quote",
            "--commune",
            "Ailleurs",
            "--category",
            "3_stars",
            "--nights",
            "1",
            "--adults",
            "1",
        )
    with pytest.raises(CommandError):
        run(
            "tourist_tax_quote",
            "--commune",
            "Arvière-le-Bourg",
            "--category",
            "unclassified",
            "--nights",
            "1",
            "--adults",
            "1",
            "--date",
            "2026-02-01",
        )
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        run(
            "tourist_tax_quote",
            "--commune",
            "X",
            "--category",
            "3_stars",
            "--nights",
            "1",
            "--adults",
            "1",
            "--date",
            "14/07/2026",
        )
