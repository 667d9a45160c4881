"""Bulk onboarding: the bureau, or a recommender for its own units, uploads a 单位名单.

1. `template()` is the .xlsx to fill: one row per unit.
2. `check()` reads an upload and returns its rows with their problems (row, column, message in
   Chinese); nothing is saved but the batch itself.
3. `apply()` creates the organisations and their first accounts for the rows without problems,
   and updates the contacts of units already known by their code, so the same file uploaded
   twice creates nothing twice. Each new account receives a one-time activation link; no
   password is ever written to a file or shown on a page.

Both steps look up what exists in a fixed number of queries, whatever the number of rows
(benchmarks/onboarding_bench.py).
"""

from __future__ import annotations

import datetime
import io
from contextlib import closing

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from records import audit, outbox
from records.models import OutboundMail
from shanghai_experts.http import client_ip
from shanghai_experts.models import Organisation, User
from shanghai_experts.text import half_width, normalise_uscc
from shanghai_experts.validators import validate_mobile, validate_uscc
from shanghai_experts.xlsx_limits import XlsxLimits, XlsxRefused, read_sheet

from . import services
from .models import OnboardingBatch

COLUMNS = [
    ("name", "单位名称"),
    ("uscc", "统一社会信用代码"),
    ("district", "所在区"),
    ("contact_name", "联系人"),
    ("mobile", "手机"),
    ("email", "电子邮箱"),
]
HEADERS = [label for _key, label in COLUMNS]
LABEL = dict(COLUMNS)
MAX_ROWS = 5000
#: Up to this many activation links are sent right after the import; more wait for the
#: outbox's cron job (`make send-mail`), so one upload never holds a request for minutes.
SEND_INLINE = 50


class FileRefused(Exception):
    """The upload is not a 单位名单 this page can read; the message says why."""


def template(uploader: Organisation) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "单位名单"
    ws.append(HEADERS)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for cell in ws[1]:
        cell.font, cell.fill = bold, fill
    for letter, width in zip("ABCDEF", (40, 24, 18, 12, 16, 28), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    for letter in "BE":  # codes and phone numbers stay text: no 1.23E+17, no lost zeros
        for row in range(2, 1002):
            ws[f"{letter}{row}"].number_format = "@"
    districts = _districts_for(uploader)
    lists = wb.create_sheet("区")
    for i, district in enumerate(districts, start=1):
        lists.cell(row=i, column=1, value=district.name)
    lists.sheet_state = "hidden"
    if districts:
        choice = DataValidation(
            type="list", formula1=f"=区!$A$1:$A${len(districts)}", allow_blank=True
        )
        choice.error, choice.errorTitle = "请从下拉列表中选择所在区。", "所在区"
        ws.add_data_validation(choice)
        choice.add("C2:C1001")
    notes = wb.create_sheet("填写说明")
    for line in (
        "每行一个申报单位；第一行的列名不要修改。",
        "统一社会信用代码：18 位，系统核对校验位；已导入过的单位按代码更新联系人，不会重复创建。",
        "所在区：从下拉列表选择区人社局的全称。",
        "联系人：单位的第一个账号，登录名为统一社会信用代码；激活链接发往所填电子邮箱，"
        "由本人设置密码。",
        f"一次最多 {MAX_ROWS} 行。",
    ):
        notes.append([line])
    notes.column_dimensions["A"].width = 100
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _districts_for(uploader: Organisation) -> list[Organisation]:
    if uploader.kind == Organisation.Kind.DISTRICT:
        return [uploader]
    return list(Organisation.objects.filter(kind=Organisation.Kind.DISTRICT, is_active=True))


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(half_width(str(value)).split())


#: What an upload may cost: rows read (the header, the data and empty rows: the template's
#: formatted blank rows go down to row 1001), the longest cell (the longest box is an e-mail
#: address, 254), and the zip's sizes (shanghai_experts.xlsx_limits).
LIMITS = XlsxLimits(rows=MAX_ROWS + 1001, cell_chars=300)


def read_rows(upload) -> list[tuple[int, dict]]:
    """(sheet row number, {key: text}) for each non-empty data row; refuses what is not a
    单位名单, and stops reading at the first row or cell beyond `LIMITS`."""
    name = getattr(upload, "name", "") or ""
    if not name.lower().endswith(".xlsx"):
        raise FileRefused("请上传 .xlsx 格式的 Excel 文件（可先下载模板）。")
    found = []
    try:
        with closing(read_sheet(upload, LIMITS, columns=len(HEADERS), labels=HEADERS)) as rows:
            header = [_text(v) for v in next(rows, (1, ()))[1]]
            while header and not header[-1]:
                header.pop()
            if header != HEADERS:
                raise FileRefused(
                    "第 1 行的列名应为："
                    + "、".join(HEADERS)
                    + "。请使用下载的模板，不要修改列名。"
                )
            for number, values in rows:
                cells = [_text(v) for v in values]
                cells += [""] * (len(HEADERS) - len(cells))
                if not any(cells):
                    continue
                if len(found) >= MAX_ROWS:
                    raise FileRefused(f"一次最多导入 {MAX_ROWS} 行，请分成几个文件。")
                found.append((number, dict(zip(LABEL, cells, strict=True))))
    except XlsxRefused as error:
        raise FileRefused(str(error)) from error
    if not found:
        raise FileRefused("文件中没有单位：请从第 2 行起，每行填写一个单位。")
    return found


def _match_district(value: str, districts: list[Organisation]) -> Organisation | None:
    value = value.strip()
    for district in districts:
        if value in (district.name, district.short_name):
            return district
    # "黄浦区" or "黄浦" for 上海市黄浦区人力资源和社会保障局
    short = value.removeprefix("上海市").removesuffix("人社局").removesuffix("区")
    if short:
        for district in districts:
            if district.name.removeprefix("上海市").startswith(short + "区"):
                return district
    return None


def check(request, upload) -> OnboardingBatch:
    """Read and check an upload; the batch holds every row with its problems."""
    uploader = request.user.organisation
    parsed = read_rows(upload)
    codes = {normalise_uscc(values["uscc"]) for _n, values in parsed}
    names = {values["name"] for _n, values in parsed}
    districts = list(Organisation.objects.filter(kind=Organisation.Kind.DISTRICT))
    by_code = {
        org.uscc: org
        for org in Organisation.objects.filter(uscc__in=codes).select_related("district")
    }
    by_name = {org.name: org for org in Organisation.objects.filter(name__in=names)}
    taken = set(User.objects.filter(username__in=codes).values_list("username", flat=True))
    contacts = {
        user.username: user
        for user in User.objects.filter(username__in=codes, organisation__uscc__in=codes)
    }
    seen: dict[str, int] = {}
    rows = []
    for number, values in parsed:
        problems = []

        def problem(key, message, problems=problems):
            problems.append({"column": LABEL[key], "message": message})

        name, code = values["name"], normalise_uscc(values["uscc"])
        if not name:
            problem("name", "请填写单位名称。")
        elif len(name) > 120:
            problem("name", "单位名称不超过 120 个字。")
        try:
            validate_uscc(code)
        except ValidationError as error:
            problem("uscc", error.messages[0])
        if code and code in seen:
            problem("uscc", f"与第 {seen[code]} 行的代码重复。")
        seen.setdefault(code, number)
        district = None
        if not values["district"] and uploader.kind == Organisation.Kind.DISTRICT:
            district = uploader
        elif not values["district"]:
            problem("district", "请选择所在区。")
        else:
            district = _match_district(values["district"], districts)
            if district is None:
                problem("district", f"“{values['district']}”不是上海市的区人社局。")
            elif uploader.kind == Organisation.Kind.DISTRICT and district != uploader:
                problem("district", "只能导入本区的单位。")
        if not values["contact_name"]:
            problem("contact_name", "请填写联系人。")
        elif len(values["contact_name"]) > 40:
            problem("contact_name", "联系人不超过 40 个字。")
        try:
            validate_mobile(values["mobile"])
        except ValidationError as error:
            problem("mobile", error.messages[0])
        try:
            validate_email(values["email"])
        except ValidationError:
            problem("email", "请填写有效的电子邮箱，例如 zhangsan@example.com。")

        existing = by_code.get(code)
        action = "create"
        if existing is not None:
            action = _update_action(existing, values, district, contacts.get(code))
            if existing.kind != Organisation.Kind.UNIT:
                problem("uscc", f"该代码属于「{existing.name}」，不是申报单位。")
            elif uploader.kind == Organisation.Kind.DISTRICT and existing.district != uploader:
                problem("uscc", f"该单位已在{existing.district}登记，不能由本区导入。")
            elif uploader.kind == Organisation.Kind.COMMISSION and existing.commission_id not in (
                None,
                uploader.pk,
            ):
                problem("uscc", "该单位已由其他行业主管部门登记。")
        else:
            other = by_name.get(name)
            if other is not None:
                problem("name", f"该名称已登记，代码为 {other.uscc or '（无）'}，与本行不同。")
            if code in taken:
                problem("uscc", "以该代码为登录名的账号已存在，请联系市人社局。")
        rows.append(
            {
                "row": number,
                "name": name,
                "uscc": code,
                "district": district.pk if district else None,
                "district_name": str(district) if district else values["district"],
                "contact_name": values["contact_name"],
                "mobile": values["mobile"],
                "email": values["email"],
                "action": action,
                "problems": problems,
            }
        )
    return OnboardingBatch.objects.create(
        organisation=uploader,
        created_by=request.user,
        file_name=(getattr(upload, "name", "") or "")[:200],
        rows=rows,
    )


def _update_action(org: Organisation, values: dict, district, contact: User | None) -> str:
    same = (
        org.contact_name == values["contact_name"]
        and org.contact_mobile == values["mobile"]
        and org.email == values["email"]
        and (district is None or org.district_id == district.pk)
        and (
            contact is None
            or (contact.email, contact.phone, contact.first_name)
            == (values["email"], values["mobile"], values["contact_name"])
        )
    )
    return "same" if same else "update"


@transaction.atomic
def apply(request, batch: OnboardingBatch) -> tuple[int, int]:
    """Create and update what the confirmed batch says; returns (created, updated)."""
    batch = OnboardingBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.confirmed_at is not None:
        raise services.AccountError("这份名单已经导入过了。")
    uploader = batch.organisation
    rows = batch.good_rows
    commission = uploader if uploader.kind == Organisation.Kind.COMMISSION else None
    codes = [row["uscc"] for row in rows]
    existing = {org.uscc: org for org in Organisation.objects.filter(uscc__in=codes)}
    contacts = {
        user.username: user
        for user in User.objects.filter(username__in=codes, organisation__uscc__in=codes)
    }
    new_orgs, changed_orgs, changed_users = [], [], []
    for row in rows:
        org = existing.get(row["uscc"])
        if org is None:
            new_orgs.append(
                Organisation(
                    kind=Organisation.Kind.UNIT,
                    name=row["name"],
                    uscc=row["uscc"],
                    district_id=row["district"],
                    commission=commission,
                    email=row["email"],
                    contact_name=row["contact_name"],
                    contact_mobile=row["mobile"],
                )
            )
            continue
        if row["action"] == "same":
            continue
        org.email, org.contact_name, org.contact_mobile = (
            row["email"],
            row["contact_name"],
            row["mobile"],
        )
        org.district_id = row["district"] or org.district_id
        if commission is not None:
            org.commission = commission
        changed_orgs.append(org)
        contact = contacts.get(row["uscc"])
        if contact is not None:
            contact.email, contact.phone, contact.first_name = (
                row["email"],
                row["mobile"],
                row["contact_name"],
            )
            changed_users.append(contact)
    Organisation.objects.bulk_create(new_orgs, batch_size=500)
    Organisation.objects.bulk_update(
        changed_orgs,
        ["email", "contact_name", "contact_mobile", "district", "commission"],
        batch_size=500,
    )
    User.objects.bulk_update(changed_users, ["email", "phone", "first_name"], batch_size=500)
    users = []
    for org in new_orgs:
        user = User(
            username=org.uscc,
            first_name=org.contact_name,
            email=org.email,
            phone=org.contact_mobile,
            organisation=org,
            is_org_admin=True,
        )
        user.set_unusable_password()
        users.append(user)
    User.objects.bulk_create(users, batch_size=500)
    mails = OutboundMail.objects.bulk_create(
        [_activation_mail(user, uploader) for user in users], batch_size=500
    )
    _audit(request, batch, new_orgs, changed_orgs)
    batch.confirmed_at = timezone.now()
    batch.created_count, batch.updated_count = len(new_orgs), len(changed_orgs)
    batch.save(update_fields=["confirmed_at", "created_count", "updated_count"])
    if len(mails) <= SEND_INLINE:
        outbox.send_after_commit([m.pk for m in mails])
    return len(new_orgs), len(changed_orgs)


def _activation_mail(user: User, uploader: Organisation) -> OutboundMail:
    days = settings.ACCOUNT_ACTIVATION_DAYS
    body = [
        f"{user.first_name}，您好：",
        "",
        f"{uploader} 已为「{user.organisation.name}」开通"
        "上海市专家服务基层项目申报评审系统的账号，您是本单位的联系人。",
        f"登录名：{user.username}（本单位的统一社会信用代码）",
        "",
        f"请在 {days} 天内打开下面的链接，设置您自己的密码：",
        services.activation_link(user),
        "",
        "链接只能使用一次。登录后可在“本单位账号”中为同事开通账号。",
        "",
        outbox.SIGNATURE,
    ]
    return OutboundMail(
        recipients=[user.email], subject="【专家服务基层项目】账号开通", body="\n".join(body)
    )


def _audit(request, batch, new_orgs, changed_orgs) -> None:
    ip = client_ip(request)
    audit.record_all(
        [
            audit.build(
                org,
                action="onboard",
                label="批量导入单位" if created else "批量更新联系人",
                user=request.user,
                comment=f"{batch.file_name}：{org.name}",
                client_ip=ip,
            )
            for created, orgs in ((True, new_orgs), (False, changed_orgs))
            for org in orgs
        ]
    )


def batches_for(org: Organisation):
    return OnboardingBatch.objects.filter(organisation=org)


def scope_q(org: Organisation) -> Q:
    """The units a recommender manages (its district's, or those it is 行业主管部门 of)."""
    if org.is_bureau:
        return Q(kind=Organisation.Kind.UNIT)
    if org.kind == Organisation.Kind.DISTRICT:
        return Q(kind=Organisation.Kind.UNIT, district=org)
    return Q(kind=Organisation.Kind.UNIT, commission=org)


#: An uploaded 单位名单 holds contacts' mobiles and e-mails; it is kept this long for the
#: preview and as a record of the import, then deleted by `purge_expired`.
BATCH_RETENTION_DAYS = 30


def purge_batches(sender, now, cutoff, **kwargs):
    stale = OnboardingBatch.objects.filter(
        created_at__lt=now - datetime.timedelta(days=BATCH_RETENTION_DAYS)
    )
    deleted, _ = stale.delete()
    return "批量导入名单", deleted
