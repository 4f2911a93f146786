from datetime import date
from decimal import Decimal

from conventions.admin.titres import MarkPaidForm


def test_the_date_is_written_as_a_date_input_reads_it():
    html = str(MarkPaidForm(initial={"paid_on": date(2026, 12, 2)})["paid_on"])
    assert 'type="date"' in html
    assert 'value="2026-12-02"' in html


def test_iso_and_french_dates_are_accepted():
    for typed in ("2026-12-02", "02/12/2026"):
        form = MarkPaidForm({"paid_on": typed})
        assert form.is_valid(), form.errors
        assert form.cleaned_data["paid_on"] == date(2026, 12, 2)


def test_errors_stay_in_french():
    assert MarkPaidForm({"paid_on": "2026-13-45"}).errors["paid_on"] == [
        "Saisissez une date valide."
    ]
    assert MarkPaidForm({"paid_on": ""}).errors["paid_on"] == ["Ce champ est obligatoire."]
    assert MarkPaidForm({"paid_on": "2026-12-02", "amount_paid": "douze"}).errors[
        "amount_paid"
    ] == ["Saisissez un nombre."]


def test_an_amount_with_a_comma_or_a_point():
    for typed in ("100,50", "100.50"):
        form = MarkPaidForm({"paid_on": "2026-12-02", "amount_paid": typed})
        assert form.is_valid(), form.errors
        assert form.cleaned_data["amount_paid"] == Decimal("100.50")
    assert 'inputmode="decimal"' in str(MarkPaidForm()["amount_paid"])
