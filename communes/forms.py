from django import forms
from stdnum.fr import siret

from communes.models import Collectivite


class SiretField(forms.CharField):
    """A SIRET typed as people write it ("216 601 369 00012"), kept as its 14 digits."""

    def to_python(self, value):
        return siret.compact(super().to_python(value))

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        # The 14-digit limit applies once the spaces are gone, not while typing.
        attrs.pop("maxlength", None)
        return attrs


class CollectiviteForm(forms.ModelForm):
    class Meta:
        model = Collectivite
        fields = [
            "kind",
            "name",
            "siret",
            "address",
            "postal_code",
            "city",
            "communes",
            "representative_name",
            "representative_title",
            "emails",
            "chorus_service_code",
            "chorus_engagement_number",
        ]
        field_classes = {"siret": SiretField}
        help_texts = {"siret": "14 chiffres ; les espaces sont permis : « 216 601 369 00012 »"}
