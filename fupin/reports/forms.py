"""The satisfaction survey's entry form."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fupin.core.forms import DateBox

from .models import SurveyAnswer


class SurveyForm(forms.Form):
    number = forms.CharField(label=_("户编号"), max_length=20)
    year = forms.IntegerField(label=_("年度"), min_value=2013, max_value=2100)
    answer = forms.ChoiceField(
        label=_("对帮扶工作和脱贫成效的评价"), choices=SurveyAnswer.choices, widget=forms.RadioSelect
    )
    respondent = forms.CharField(label=_("受访人"), max_length=50)
    surveyed_on = forms.DateField(label=_("调查日期"), widget=DateBox())
    note = forms.CharField(label=_("说明"), max_length=200, required=False)

    def clean_surveyed_on(self):
        value = self.cleaned_data["surveyed_on"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("调查日期不能晚于今天"))
        return value
