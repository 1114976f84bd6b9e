from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinic.brazil import format_cep, format_cpf, only_digits, validate_cep, validate_cns, validate_cpf
from clinic.models import Clinic
from patients.icd10 import icd10_entry, icd10_lookup
from patients.models import Allergy, Condition, Medication, Patient, PatientDocument, PatientStatus
from patients.normalize import phone_display, phone_e164
from patients.services import PATIENT_FIELDS, ContactData


class PhoneField(forms.CharField):
    """A phone typed in any usual way, cleaned to E.164 (+55 and the area code by default)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 30)
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("inputmode", "tel")
        self.widget.attrs.setdefault("placeholder", "(11) 98765-4321")

    def clean(self, value: Any) -> str:
        value = super().clean(value)
        if not value:
            return ""
        e164 = phone_e164(value)
        if not e164:
            raise forms.ValidationError(_("This is not a valid phone number; include the area code (DDD)."))
        return e164


class PatientForm(forms.ModelForm):  # type: ignore[type-arg]
    cpf = forms.CharField(label=_("CPF"), max_length=14, validators=[validate_cpf])
    cns = forms.CharField(label=_("CNS"), max_length=18, required=False, validators=[validate_cns])
    mobile_phone = PhoneField(label=_("Mobile phone"), required=False)
    home_phone = PhoneField(label=_("Other phone"), required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    cep = forms.CharField(label=_("CEP"), max_length=9, required=False, validators=[validate_cep])
    street = forms.CharField(label=_("Street"), max_length=160, required=False)
    number = forms.CharField(label=_("Number"), max_length=20, required=False)
    complement = forms.CharField(label=_("Complement"), max_length=80, required=False)
    district = forms.CharField(label=_("District"), max_length=80, required=False)
    confirm_not_duplicate = forms.BooleanField(
        label=_("None of the patients above is this person: register anyway"), required=False
    )

    class Meta:
        model = Patient
        fields = list(PATIENT_FIELDS)
        widgets = {"birth_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args: Any, clinics: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        home_clinic = cast(forms.ModelChoiceField, self.fields["home_clinic"])  # type: ignore[type-arg]
        home_clinic.queryset = clinics if clinics is not None else Clinic.objects.all()
        home_clinic.required = True
        if self.instance.pk:
            self.initial["cpf"] = format_cpf(self.instance.cpf)
            self.initial["cep"] = format_cep(self.instance.cep)
            self.initial["mobile_phone"] = phone_display(self.instance.mobile_phone)
            self.initial["home_phone"] = phone_display(self.instance.home_phone)

    def clean_full_name(self) -> str:
        name = " ".join(self.cleaned_data["full_name"].split())
        if len(name) < 3 or " " not in name:
            raise forms.ValidationError(_("Type the full name: first name and surname."))
        return name

    def clean_birth_date(self) -> Any:
        born = self.cleaned_data["birth_date"]
        if born and born > timezone.localdate():
            raise forms.ValidationError(_("The birth date cannot be in the future."))
        return born

    def clean_cpf(self) -> str:
        return only_digits(self.cleaned_data["cpf"])

    def clean_cns(self) -> str:
        return only_digits(self.cleaned_data["cns"])

    def clean_cep(self) -> str:
        return only_digits(self.cleaned_data["cep"])

    def service_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class EmergencyContactForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    relationship = forms.CharField(label=_("Relationship"), max_length=60)
    phone = PhoneField(label=_("Phone"))


class BaseContactFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    def contacts(self) -> list[ContactData]:
        return [
            ContactData(
                name=f.cleaned_data["name"], relationship=f.cleaned_data["relationship"], phone=f.cleaned_data["phone"]
            )
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]


EmergencyContactFormSet = forms.formset_factory(
    EmergencyContactForm, formset=BaseContactFormSet, extra=1, max_num=5, can_delete=True, validate_max=True
)


class PatientSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Name, CPF or phone"),
        required=False,
        max_length=120,
        widget=forms.TextInput(attrs={"placeholder": _("Name, CPF or phone"), "autofocus": True, "type": "search"}),
    )
    birth_date = forms.DateField(label=_("Birth date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=PatientStatus.choices)
    reason = forms.CharField(label=_("Reason"), max_length=255, required=False)


class ICD10Picker(forms.Widget):
    """A search box whose matching ICD-10 codes (fetched with HTMX as one types) are radio buttons.

    The chosen radio button is the value. Without JavaScript the search box itself is sent, so a
    code typed in full still counts.
    """

    template_name = "patients/icd10_picker.html"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__({"placeholder": _("Code or words: J45, asthma"), "autocomplete": "off", **(attrs or {})})

    def value_from_datadict(self, data: Any, files: Any, name: str) -> str:
        return str(data.get(name) or data.get(f"{name}_search") or "")

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        typed = str(value or "").strip()
        chosen = icd10_lookup(typed) if typed else None
        context["widget"].update(
            {"search_name": f"{name}_search", "search_value": chosen.code if chosen else typed, "chosen": chosen}
        )
        return context

    def id_for_label(self, id_: str) -> str:
        return id_

    def use_required_attribute(self, initial: Any) -> bool:
        return False  # the browser would ask for the search box, which is not the value


class ICD10CodeField(forms.CharField):
    """A code of the ICD-10 catalog, chosen with the picker; cleans to the catalog's form ("J45.0")."""

    widget = ICD10Picker

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("ICD-10 code"))
        kwargs.setdefault("max_length", 120)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> str:
        typed = super().clean(value)
        return icd10_entry(typed).code if typed else ""


class ConditionForm(forms.ModelForm):  # type: ignore[type-arg]
    icd10_code = ICD10CodeField()

    class Meta:
        model = Condition
        fields = ["icd10_code", "description", "chronic", "onset_date", "notes"]
        widgets = {
            "onset_date": forms.DateInput(attrs={"type": "date"}),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {"description": _("Leave it empty to use the ICD-10 description.")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["description"].required = False

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        code = cleaned.get("icd10_code")
        if code and not str(cleaned.get("description") or "").strip():
            entry = icd10_lookup(code)
            cleaned["description"] = entry.description if entry else ""
        return cleaned


class MedicationForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Medication
        fields = ["name", "dose", "frequency"]
        widgets = {
            "name": forms.TextInput(),
            "dose": forms.TextInput(attrs={"placeholder": "500 mg"}),
            "frequency": forms.TextInput(attrs={"placeholder": _("every 8 hours")}),
        }


class AllergyForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Allergy
        fields = ["substance", "reaction", "severity"]
        widgets = {"substance": forms.TextInput(), "reaction": forms.TextInput()}


class DocumentForm(forms.ModelForm):  # type: ignore[type-arg]
    file = forms.FileField(label=_("File (PDF, JPEG or PNG)"))

    class Meta:
        model = PatientDocument
        fields = ["kind", "title"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _("Up to %(limit)s MB.") % {"limit": settings.DOCUMENT_MAX_UPLOAD_MB}
        self.fields["file"].widget.attrs["accept"] = "application/pdf,image/jpeg,image/png"
