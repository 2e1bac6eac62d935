"""The default menu of help measures (seed 000 四(一)1 and 附件11; seed 001 篇1 四(三); seed 002 三)."""
from django.db import migrations

CATALOGUE = [
    # code, name, group, description
    ("planting", "种植业扶持", "industry", "脐橙、蔬菜、油茶、烟叶、甜玉米等种植，种苗、农资和技术补助"),
    ("breeding", "养殖业扶持", "industry", "生猪、家禽、牛羊、蜜蜂、水产等养殖，种苗和圈舍补助"),
    ("processing", "农产品加工", "industry", "粉干、腐竹、番薯粉等小食品和农产品加工"),
    ("cooperative", "合作社与龙头企业带动", "industry", "加入农民专业合作社、龙头企业带动、入股分红"),
    ("employment", "就业扶持", "employment", "推荐到工业园区、龙头企业、扶贫车间就业"),
    ("labour_export", "劳务输出", "employment", "组织外出务工，提供就业信息和交通补贴"),
    ("public_post", "公益性岗位", "employment", "保洁、护路、管水等公益性岗位"),
    ("skills_training", "技能培训", "employment", "雨露计划、实用技术和职业技能培训"),
    ("education", "教育扶持", "education", "学前到高等教育资助、雨露计划学历教育补助、助学贷款"),
    ("health", "健康扶贫", "health", "基本医保和大病保险参保资助、医疗救助、家庭医生签约、慢病送药"),
    ("housing", "危房改造", "housing", "农村危旧房改造补助"),
    ("relocation", "易地扶贫搬迁", "housing", "一方水土养不起一方人的搬迁安置"),
    ("safety_net", "社会保障兜底（低保、五保）", "safety_net", "纳入低保、特困供养，临时救助，养老保险代缴"),
    ("disability", "残疾人帮扶", "safety_net", "残疾人两项补贴、辅具适配、康复"),
    ("ecological_post", "生态公益岗位", "ecology", "生态护林员、护河员等"),
    ("eco_compensation", "生态补偿", "ecology", "公益林补偿、退耕还林补助"),
    ("microcredit", "扶贫小额信贷", "finance", "5万元以下、3年以内、免抵押免担保、财政贴息"),
    ("insurance", "产业保险", "finance", "种养殖保险保费补助"),
    ("ecommerce", "电商扶贫", "other", "网店开设、农产品网上销售、电商培训"),
    ("asset_income", "资产收益扶贫", "other", "光伏扶贫、资产入股收益"),
    ("infrastructure", "水电路到户", "other", "安全饮水、入户道路、通电、卫生厕所改造"),
    ("consolation", "助困慰问", "other", "节日慰问、捐款捐物，解决眼前困难"),
    ("other", "其他措施", "other", ""),
]


def load(apps, schema_editor):
    MeasureCatalogue = apps.get_model("assistance", "MeasureCatalogue")
    for order, (code, name, group, description) in enumerate(CATALOGUE, start=1):
        MeasureCatalogue.objects.update_or_create(
            code=code, defaults={"name": name, "group": group, "description": description, "order": order * 10}
        )


def unload(apps, schema_editor):
    apps.get_model("assistance", "MeasureCatalogue").objects.filter(code__in=[c[0] for c in CATALOGUE]).delete()


class Migration(migrations.Migration):
    dependencies = [("assistance", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
