"""Prose of sections 一, 五 and 六, with the figures it states recorded as truth.

Figures are stated in the wordings real reports use (``共收到政府信息公开申请3件``,
``主动公开政府信息1136条``, ``全年收取政府信息公开信息处理费0元``).  Every stated figure is
returned as a prose truth entry {key, value, text, source}; the ``text`` is exactly the
fragment as printed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from etl.synth.numbers import Numbers
from etl.synth.region import Agency
from etl.template import SECTION3_TOTAL_INDEX as TOTAL


@dataclass
class Prose:
    intro: str
    overview: list[str]                 # section 一 paragraphs
    problems: list[str]                 # section 五
    other: list[str]                    # section 六
    figures: list[dict] = field(default_factory=list)


def self_name(agency: Agency) -> str:
    """How an agency refers to itself in prose."""
    n = agency.name
    if agency.level == "street":
        return "本街道"
    if agency.level == "township":
        return "本镇" if "镇" in n else "本乡"
    if agency.level in ("district", "county", "city"):
        return {"district": "我区", "county": "我县", "city": "我市"}[agency.level]
    if agency.level == "province":
        return "我省"
    return "我局" if n.endswith("局") else ("我委" if n.endswith("会") else "本机关")


def stated_figures(n: Numbers, rng: random.Random) -> dict[str, int]:
    """The figures this report's prose will state, from the (possibly faulted) tables."""
    s3 = n.section3
    figs: dict[str, int] = {"active_disclosed": n.active_disclosed}
    if s3["new_received"] is not None:
        figs["applications_received"] = n.count3("new_received", TOTAL)
        if rng.random() < 0.6:
            figs["applications_handled"] = n.count3("total", TOTAL)
            figs["carried_forward"] = n.count3("carried_forward", TOTAL)
    if rng.random() < 0.8:
        figs["review_total"] = n.count4("review_total")
        figs["suit_total"] = n.count4("suit_direct_total") + n.count4("suit_after_review_total")
    if n.template == "2021":
        if rng.random() < 0.5:
            in_force = n.section2["normative_documents"]["in_force"]
            if not isinstance(in_force, int):
                raise ValueError(f"normative_documents in_force is {in_force!r}, not a count")
            figs["normative_in_force"] = in_force
        figs["fees_charged_yuan"] = n.fees_yuan
    return figs


def falsify(figs: dict[str, int], n: Numbers, rng: random.Random) -> str:
    """The prose_vs_table fault: one stated figure disagrees with the table."""
    choices = [k for k in ("applications_received", "applications_handled", "review_total",
                           "normative_in_force") if k in figs]
    key = rng.choice(choices) if choices else "review_total"
    old = figs.get(key)
    if old is None:                       # no figure of that kind yet: state a wrong one
        old = n.count4("review_total")
        figs["suit_total"] = n.count4("suit_direct_total") + n.count4("suit_after_review_total")
    forbidden = {old}
    if key == "applications_received":   # 受理 may count new + carried over: avoid both
        forbidden.add(old + n.count3("carried_over", TOTAL))
    new = old
    while new in forbidden or new < 0:
        new = old + rng.choice((-3, -2, -1, 1, 2, 4, 7, 10, 15))
    figs[key] = new
    return f"prose states {key} {new}, the table {old}"


def write_prose(agency: Agency, year: int, n: Numbers, figs: dict[str, int],
                rng: random.Random) -> Prose:
    me = self_name(agency)
    style = rng.randrange(3)
    out = Prose("", [], [], [])

    def fig(key: str, text: str) -> str:
        out.figures.append({"key": key, "value": figs[key], "text": text, "source": "prose"})
        return text

    if style == 0:
        out.intro = (f"{year}年,{agency.name}在上级党委、政府的正确领导下,认真贯彻落实《中华人民共和国政府信息"
                     f"公开条例》,围绕权力运行全流程、政务服务全过程,不断提升政务公开质效,现将{year}年度政府信息公开工作"
                     f"情况报告如下:")
    elif style == 2:   # the 上海/平潭 style: the intro lists the six sections by name
        out.intro = (f"本年度报告根据《中华人民共和国政府信息公开条例》(以下简称《条例》)的要求编制,全文包括总体情况、"
                     f"主动公开政府信息情况、收到和处理政府信息公开申请情况、政府信息公开行政复议、行政诉讼情况、"
                     f"政府信息公开工作存在的主要问题及改进情况和其他需要报告的事项。本年度报告中所列数据统计期限"
                     f"从{year}年1月1日到12月31日止。")
    else:
        out.intro = (f"本报告由{agency.name}根据《中华人民共和国政府信息公开条例》(以下简称《条例》)要求编制。"
                     f"报告中所列数据统计期限自{year}年1月1日起至{year}年12月31日止。如对本报告有疑问,"
                     f"请与{agency.name}联系。")
    site = rng.choice(("政府门户网站", "政务公开专栏", "政府信息公开平台"))
    a = figs["active_disclosed"]
    active = fig("active_disclosed", rng.choice((f"主动公开政府信息{a}条", f"主动公开信息{a}条",
                                                 f"主动发布各类政府信息{a}条", f"累计主动公开{a}条信息")))
    p1 = f"(一)主动公开情况。{year}年,{me}通过{site}{active}。"
    if "normative_in_force" in figs:
        p1 += "集中发布" + fig("normative_in_force",
                            f"现行有效行政规范性文件{figs['normative_in_force']}件") + "。"
    out.overview.append(p1)
    p2 = "(二)依申请公开情况。进一步规范依申请公开流程,畅通申请渠道。"
    if "applications_received" in figs:
        received = figs["applications_received"]
        p2 += f"{year}年,{me}" + fig("applications_received", rng.choice((
            f"共收到政府信息公开申请{received}件", f"受理政府信息公开申请{received}件",
            f"新收政府信息公开申请{received}件", f"共收到{received}件申请")))
        if "applications_handled" in figs:
            h, cf = figs["applications_handled"], figs["carried_forward"]
            p2 += "," + fig("applications_handled", rng.choice((f"办结{h}件", f"答复政府信息公开申请{h}件")))
            p2 += "," + fig("carried_forward", rng.choice((f"结转下年度继续办理{cf}件",
                                                           f"{cf}件结转下年度继续办理")))
        p2 += ",均在法定期限内予以答复。"
    if "review_total" in figs:
        r, s = figs["review_total"], figs["suit_total"]
        if rng.random() < 0.6:
            p2 += ("全年发生政府信息公开" + fig("review_total", f"行政复议{r}件") + "、"
                   + fig("suit_total", f"行政诉讼{s}件") + "。")
        else:
            p2 += ("因政府信息公开工作" + fig("review_total", f"被申请行政复议{r}起") + ","
                   + fig("suit_total", f"被提起行政诉讼{s}起") + "。")
    out.overview.append(p2)
    out.overview.append("(三)政府信息管理情况。严格执行信息审核发布制度,落实“三审三校”制度,"
                        "未经审核的信息一律不准发布。")
    out.overview.append("(四)政府信息公开平台建设情况。加强政务新媒体日常管理,及时关停整合更新不及时的账号。")
    out.overview.append("(五)监督保障情况。将政务公开工作纳入年度考核,定期通报检查情况。")
    out.problems.append(f"{year}年,{me}政府信息公开工作取得一定成效,但仍存在公开内容不够丰富、"
                        "政策解读形式单一等问题。下一步,将进一步规范依申请公开办理,提升公开质量。")
    if "fees_charged_yuan" in figs:
        if figs["fees_charged_yuan"] == 0 and rng.random() < 0.5:
            out.other.append(fig("fees_charged_yuan", rng.choice((f"{year}年度无收取政府信息处理费情况",
                                                                  "本机关未收取信息处理费"))) + "。")
        else:
            out.other.append(f"{year}年," + fig("fees_charged_yuan",
                             f"全年收取政府信息公开信息处理费{figs['fees_charged_yuan']}元") + "。")
    else:
        out.other.append("无其他需要报告的事项。")
    return out
