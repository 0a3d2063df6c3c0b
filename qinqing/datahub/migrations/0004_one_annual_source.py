"""One source of annual facts: the records of `enterprise_indicators` move into `enterprise_annual`.

The policies read `indicators.*` and the synthetic city wrote `annual.*`: two sources of the same facts.
`enterprise_annual` now holds every field of both (see datahub/data/sources.json); an indicators
record becomes an annual record of the same report number (period → year, rd_expense → rd_spend),
merged into the annual record of that number if one exists, and the old source is removed.
"""

import json

from django.db import migrations

ANNUAL = json.loads(r"""{
    "code": "enterprise_annual",
    "name": "企业年度经营与认定信息",
    "name_en": "Annual operating figures and recognitions",
    "department_code": "JXJ",
    "department_name": "杭州市经济和信息化局（会同统计、税务、科技部门）",
    "description": "按年度汇总的企业经营数据与资质认定（统计、税务、科技、经信、人社部门共享）：营业收入、纳税总额、研发费用、从业人数，高新技术企业及其认定日期、专精特新级别、规模以上企业及首次纳入年度，当年新招用高校毕业生、上年度实际缴纳失业保险费。惠企政策与合成城市都读这一数据源。",
    "fact_prefix": "annual",
    "key_field": "report_no",
    "category_field": "year",
    "title_field": "year",
    "readers": [
        "JXJ",
        "KJJ"
    ],
    "fields": [
        {
            "name": "report_no",
            "label": "年报编号",
            "label_en": "Report number",
            "type": "text",
            "required": true,
            "max_length": 40
        },
        {
            "name": "year",
            "label": "年度",
            "label_en": "Year",
            "type": "integer",
            "required": true
        },
        {
            "name": "revenue",
            "label": "营业收入",
            "label_en": "Revenue",
            "type": "decimal",
            "unit": "yuan",
            "kind": "amount"
        },
        {
            "name": "tax_paid",
            "label": "纳税总额",
            "label_en": "Taxes paid",
            "type": "decimal",
            "unit": "yuan",
            "kind": "amount"
        },
        {
            "name": "rd_spend",
            "label": "研发费用",
            "label_en": "R&D spending",
            "type": "decimal",
            "unit": "yuan",
            "kind": "amount"
        },
        {
            "name": "employees",
            "label": "从业人数",
            "label_en": "Employees",
            "type": "integer",
            "unit": "person"
        },
        {
            "name": "high_tech",
            "label": "高新技术企业",
            "label_en": "High-tech enterprise",
            "type": "text",
            "max_length": 4,
            "choices": [
                {
                    "value": "是",
                    "label": "是",
                    "label_en": "Yes"
                },
                {
                    "value": "否",
                    "label": "否",
                    "label_en": "No"
                }
            ]
        },
        {
            "name": "high_tech_certified_on",
            "label": "高新技术企业认定日期",
            "label_en": "High-tech recognition date",
            "type": "date"
        },
        {
            "name": "specialised",
            "label": "专精特新认定",
            "label_en": "Specialised and innovative SME",
            "type": "text",
            "max_length": 4,
            "choices": [
                {
                    "value": "否",
                    "label": "否",
                    "label_en": "No"
                },
                {
                    "value": "市级",
                    "label": "市级",
                    "label_en": "City level"
                },
                {
                    "value": "省级",
                    "label": "省级",
                    "label_en": "Provincial level"
                },
                {
                    "value": "国家级",
                    "label": "国家级",
                    "label_en": "National level"
                }
            ]
        },
        {
            "name": "above_scale",
            "label": "规模以上企业",
            "label_en": "Above designated size",
            "type": "text",
            "max_length": 4,
            "choices": [
                {
                    "value": "是",
                    "label": "是",
                    "label_en": "Yes"
                },
                {
                    "value": "否",
                    "label": "否",
                    "label_en": "No"
                }
            ]
        },
        {
            "name": "above_scale_since",
            "label": "首次纳入规上年度",
            "label_en": "First year above designated size",
            "type": "integer",
            "unit": "year"
        },
        {
            "name": "graduates_hired",
            "label": "当年新招用高校毕业生",
            "label_en": "Graduates hired this year",
            "type": "integer",
            "unit": "person"
        },
        {
            "name": "unemployment_insurance_paid",
            "label": "上年度实际缴纳失业保险费",
            "label_en": "Unemployment insurance paid last year",
            "type": "decimal",
            "kind": "amount",
            "unit": "yuan"
        }
    ]
}""")
RENAMED = {"period": "year", "rd_expense": "rd_spend"}


def merge_sources(apps, schema_editor):
    Source = apps.get_model("datahub", "Source")
    DataRecord = apps.get_model("datahub", "DataRecord")
    old = Source.objects.filter(code="enterprise_indicators").first()
    if old is None:
        return
    values = {k: v for k, v in ANNUAL.items() if k != "code"}
    annual = Source.objects.filter(code="enterprise_annual").first()
    if annual is None:
        annual = Source.objects.create(code="enterprise_annual", order=old.order, **values)
    else:
        for name, value in values.items():
            setattr(annual, name, value)
        annual.save()
    for record in DataRecord.objects.filter(source=old).order_by("as_of", "id"):
        data = {RENAMED.get(k, k): v for k, v in record.data.items()}
        if str(data.get("year", "")).isdigit():
            data["year"] = int(data["year"])
        key = str(data.get("report_no") or record.key)[:64]
        data["report_no"] = key
        existing = DataRecord.objects.filter(source=annual, key=key).first()
        if existing is not None:
            existing.data = {**existing.data, **{k: v for k, v in data.items() if v not in (None, "")}}
            existing.as_of = max(existing.as_of, record.as_of)
            existing.save(update_fields=["data", "as_of"])
            continue
        year = str(data.get("year", ""))
        DataRecord.objects.create(source=annual, uscc=record.uscc, key=key, category=year, title=year or key,
                                  data=data, as_of=record.as_of, imported_at=record.imported_at,
                                  synthetic=record.synthetic)
    DataRecord.objects.filter(source=old).delete()
    old.delete()


class Migration(migrations.Migration):

    dependencies = [
        ("datahub", "0003_gencity_synthetic"),
    ]

    operations = [
        migrations.RunPython(merge_sources, migrations.RunPython.noop),
    ]
