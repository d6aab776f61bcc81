"""What messages say: short Chinese texts (the residents' language) with the case number and a link.

Discretion first. For a sensitive category (psychological support, ...) a text
that leaves the system (SMS, e-mail) says only that there is news, with the
number: never the category, the description, a note or a reason. In-app messages
are read behind a login by the person they are for, so they may say a little
more, but never the description of a sensitive case either.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone, translation

from grassroots.notify import conf
from grassroots.notify.channels import scrub_phones

EXCERPT = 40


@dataclass(frozen=True)
class Text:
    subject: str
    body: str


#: What may end a resident's sentence; a quoted excerpt loses it, since the message ends the sentence.
SENTENCE_ENDS = "。．.！!？?；;，,、 "


def _clip(text: str, length: int = EXCERPT) -> str:
    """A quoted excerpt: one line, at most `length` characters, without its own closing stop."""
    text = " ".join((text or "").split()).rstrip(SENTENCE_ENDS)
    return text if len(text) <= length else text[: length - 1] + "…"


def link(path: str) -> str:
    """An absolute link (GRASSROOTS_PUBLIC_URL + path): a text message cannot follow a relative one."""
    return f"{conf.get('GRASSROOTS_PUBLIC_URL').rstrip('/')}{path}" if path else ""


def compose(
    kind: str, *, case, channel: str, link_path: str, role: str = "", note: str = "", one_tap: bool = False
) -> Text:
    """The subject and body of one message.

    `kind` is what happened (dispatched, whistled, registered, rejected, merged, resolved, closed,
    urged, overdue, escalated, reopened); `role` is "lead" or "supporter" for handlers;
    `note` is the reason or remark that goes with it (a rejection's reason, an urge's note);
    `one_tap`: the link is the party's one-tap page (cases.links), offered even for a sensitive case,
    since that page is the only way a party without an account can answer.
    """
    with translation.override("zh-hans"):
        return _compose(
            kind, case=case, channel=channel, url=link(link_path), role=role, note=note, one_tap=one_tap
        )


def compose_call(
    *, case, name: str, phone_masked: str, what: str, link_path: str, why: str = "的电话不能接收短信"
) -> Text:
    """The "call instead" notice: a coordinator is asked to phone someone no SMS reaches.

    It names the person and their masked number (the coordinator reveals it on the person's
    page or dials from the case), says what the SMS would have said, and links to the case.
    """
    sign = f"【{case.community.name}】"
    said = what.removeprefix(sign)
    body = (
        f"{sign}【请致电】{name}（{phone_masked}）{why}，请致电告知："
        f"{said} 诉求 {case.number}：{link(link_path)}"
    )
    return Text(scrub_phones(f"请致电 {name} {case.number}"), scrub_phones(body))


def _compose(kind: str, *, case, channel: str, url: str, role: str, note: str, one_tap: bool = False) -> Text:
    number = case.number
    sign = f"【{case.community.name}】"
    sensitive = case.category.sensitive
    outside = channel != "inbox"  # leaves the system: SMS or e-mail
    see = f"详见 {url}" if url else "如有疑问请联系社区。"
    if one_tap:
        see = f"签收、反馈、报完成请点 {url}"
    urgent = "【紧急】" if case.urgency == "urgent" else ""
    about = "" if sensitive else f"（{case.category.name_zh}）"
    excerpt = "" if sensitive else f"：{_clip(case.description)}"

    if sensitive and outside and kind in {"registered", "rejected", "merged", "resolved", "closed"}:
        return Text("诉求有新进展", f"{sign}您有一件诉求有新进展（编号 {number}），请登录查看或致电社区。")
    if sensitive and outside:
        follow = see if one_tap else "请登录查看或与社区联系。"
        return Text(f"诉求 {number}", f"{sign}{urgent}有一件诉求需要您关注（编号 {number}），{follow}")

    if kind in {"dispatched", "whistled"}:
        task = "请您牵头办理" if role == "lead" else "请您协同办理"
        if kind == "whistled":
            task = "社区吹哨，请您报到并牵头" if role == "lead" else "社区吹哨，请您报到协同"
        subject = f"{urgent}{'吹哨报到' if kind == 'whistled' else '新派单'} {number}"
        body = f"{sign}{urgent}诉求 {number}{about}{task}{excerpt}。请尽快签收。{see}"
    elif kind == "callback":
        subject = f"待回访 {number}"
        body = f"{sign}【回访】诉求 {number}{about}已报完成，请回访居民、听取意见。{see}"
    elif kind == "registered":
        subject = f"诉求已受理 {number}"
        body = f"{sign}您反映的诉求已受理，编号 {number}{about}，我们会尽快处理。{see}"
    elif kind == "rejected":
        subject = f"诉求未能受理 {number}"
        body = f"{sign}很抱歉，您反映的诉求（编号 {number}）未能受理。原因：{_clip(note, 80)}"
    elif kind == "resolved":
        subject = f"诉求已处理 {number}"
        body = f"{sign}您反映的诉求（编号 {number}）已处理完毕，社区将回访听取您的意见。{see}"
    elif kind == "merged":
        into = case.merged_into.number if case.merged_into_id else ""
        subject = f"诉求合并办理 {number}"
        body = (
            f"{sign}您反映的诉求（编号 {number}）与社区正在办理的同一问题（编号 {into}）合并办理，"
            f"后续进展会一并告知您。{see}"
        )
    elif kind == "closed":
        subject = f"诉求已办结 {number}"
        body = f"{sign}您反映的诉求（编号 {number}）已办结，感谢您的支持与监督。"
    elif kind == "urged":
        remark = f"：{_clip(note, 60)}" if note and not sensitive else ""
        subject = f"督办 {number}"
        body = (
            f"{sign}【督办】诉求 {number}{about}已被督办（第 {case.urge_count} 次）{remark}，"
            f"请抓紧办理。{see}"
        )
    elif kind == "overdue":
        due = timezone.localtime(case.resolution_due).strftime("%m-%d %H:%M") if case.resolution_due else ""
        subject = f"超期 {number}"
        body = (
            f"{sign}【超期】诉求 {number}{about}已超过办结时限（{due}），"
            f"当前状态：{case.get_status_display()}。{see}"
        )
    elif kind == "escalated":
        remark = f"：{_clip(note, 60)}" if note and not sensitive else ""
        subject = f"上报街道 {number}"
        body = f"{sign}【上报】诉求 {number}{about}已上报街道{remark}。{see}"
    elif kind == "reopened":
        remark = f"：{_clip(note, 60)}" if note and not sensitive else ""
        subject = f"返工 {number}"
        body = f"{sign}【返工】诉求 {number}{about}需要重新办理{remark}。{see}"
    else:
        subject = f"诉求 {number}"
        body = f"{sign}诉求 {number} 有新进展。{see}"
    return Text(scrub_phones(subject), scrub_phones(body))
