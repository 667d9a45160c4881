"""The choices of 附件2's boxes, as the paper form names them."""

from django.db import models


class BaseLevel(models.TextChoices):
    NATIONAL = "national", "国家级"
    MUNICIPAL = "municipal", "市级"


class HostType(models.TextChoices):
    """依托单位类型, the kinds the form prints, in its order."""

    HIGH_TECH_ZONE = "high_tech_zone", "高新技术开发区"
    ECONOMIC_ZONE = "economic_zone", "经济技术开发区"
    INDUSTRIAL_PARK = "industrial_park", "产业园区"
    STARTUP_PARK = "startup_park", "创业园区"
    DEMONSTRATION = "demonstration", "技术示范基地"
    INDUSTRIALISATION = "industrialisation", "产业化示范基地"
    HIGH_TECH_FIRM = "high_tech_firm", "高新技术企业"
    RESEARCH = "research", "基层科研机构"
    ASSOCIATION = "association", "专业技术协会"
    COOPERATIVE = "cooperative", "农村合作组织"
    INTERMEDIARY = "intermediary", "技术中介服务组织"
    OTHER = "other", "其他"
