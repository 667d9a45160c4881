"""The choices of 附件1's boxes, as the paper form names them."""

from django.db import models


class Category(models.TextChoices):
    NATIONAL = "national", "国家级"
    MUNICIPAL = "municipal", "市级"


class BaseLevel(models.TextChoices):
    MINISTRY = "ministry", "部级"
    PROVINCE = "province", "省级"
    MUNICIPAL = "municipal", "市级"


class ServiceForm(models.TextChoices):
    GUIDANCE = "guidance", "技术指导"
    PROMOTION = "promotion", "技术推广"
    COOPERATION = "cooperation", "项目合作"
    TRANSFER = "transfer", "成果转化"
    TRAINING = "training", "人才培养"
    CONSULTING = "consulting", "决策咨询"
    OUTREACH = "outreach", "科普宣传"
    CLINIC = "clinic", "义诊"
    OTHER = "other", "其他"


class TitleLevel(models.TextChoices):
    SENIOR = "senior", "正高级"
    ASSOCIATE = "associate", "副高级"
    INTERMEDIATE = "intermediate", "中级"
    JUNIOR = "junior", "初级及以下"


class Talent(models.TextChoices):
    ACADEMICIAN = "academician", "两院院士"
    MAJOR_PROGRAMME = "major_programme", "国家和省部级重大人才工程"
    SPECIAL_ALLOWANCE = "special_allowance", "享受政府特殊津贴"
    MAJOR_PROJECT = "major_project", "承担重大科技攻关任务"
    URGENT_LOCAL = "urgent_local", "地方急需紧缺"
    OTHER = "other", "其他"


class Affiliation(models.TextChoices):
    OWN = "own", "本单位"
    EXTERNAL = "external", "外单位"


#: 类别 in the 一览表 (注1: 国家级服务团、市级服务团、服务基地评估).
CATEGORY_LIST_LABELS = {Category.NATIONAL: "国家级服务团", Category.MUNICIPAL: "市级服务团"}


QUALIFYING_TITLE_LEVELS = (TitleLevel.SENIOR, TitleLevel.ASSOCIATE)
