"""Chinese texts beside the template's catalogue, for people who read Chinese (the report site,
the exports, the notebook API).

Kept apart from ``definitions.py`` on purpose: the rule catalogue there is keyed by rule id and
is what the checks run; this module only adds how each rule, cell state and prose figure is
*named* in Chinese, keyed the same way, so the two can evolve without touching each other.
``tests/test_report_labels.py`` checks that every rule id the warehouse knows has a name here.

Message templates are ``str.format`` strings over the fields of a ``validation_issues`` row
(``cells`` already turned into the template's Chinese labels by etl.report.issues; the formula is
shown beside the message, so the templates do not repeat it).  When a template needs a number
the issue does not have (NULL), "不符合:" and the description are shown instead; a rule without
a template (nothing to add to its description) shows the description.
"""

from __future__ import annotations

from dataclasses import dataclass

from etl.template.definitions import (
    SECTION3_APPLICANT_HEADER,
    SECTION3_LEGAL_PERSON_HEADER,
    SECTION3_RESULTS_CAPTION,
)


@dataclass(frozen=True)
class RuleZh:
    name: str                       # short Chinese name, shown beside the rule id
    description: str                # what must hold, in Chinese
    message: str | None = None      # one failed check; fields: expected actual delta cells year


#: Keyed by rule id: etl.template.RULE_IDS (the one catalogue, corpus rules included).
RULES_ZH: dict[str, RuleZh] = {
    "identity": RuleZh(
        "表三勾稽关系",
        "表三每一列:第一项(本年新收)加第二项(上年结转)之和,等于第三项(办理结果总计)加第四项(结转下年度)之和",
        "左边为 {expected},右边为 {actual},相差 {delta}"),
    "results_sum": RuleZh(
        "办理结果合计",
        "表三每一列:(七)总计等于各项办理结果之和",
        "各项之和为 {expected},总计印为 {actual},相差 {delta}"),
    "row_total": RuleZh(
        "申请人合计",
        "表三每一行:总计列等于六类申请人之和",
        "六类申请人之和为 {expected},总计印为 {actual},相差 {delta}"),
    "review_sum": RuleZh(
        "复议诉讼合计",
        "表四每一组:总计等于结果维持、结果纠正、其他结果、尚未审结之和",
        "各项之和为 {expected},总计印为 {actual},相差 {delta}"),
    "prose_vs_table": RuleZh(
        "正文与表格一致",
        "正文所述数字与表格一致",
        "表格为 {expected},正文称 {actual},相差 {delta}"),
    "template_year": RuleZh(
        "模板与年度相符",
        "2019、2020年度报告使用2019年版模板,2021年度起使用2021年版模板",
        "{year}年度报告应使用{expected}年版模板,实际使用{actual}年版"),
    "carry_chain": RuleZh(
        "跨年结转衔接",
        "同一机关:本年“上年结转”等于上年报告的“结转下年度继续办理”",
        "上年报告为 {expected},本年报告为 {actual},相差 {delta}"),
    "in_force_chain": RuleZh(
        "现行有效件数衔接",
        "同一机关:本年现行有效件数 = 上年现行有效件数 + 本年制发 − 本年废止(警告:机关清理后可能重新计数)",
        "推算为 {expected},报告为 {actual},相差 {delta}"),
    "missing_section": RuleZh(
        "表格缺失",
        "报告须印有第三部分(收到和处理申请情况)和第四部分(行政复议、行政诉讼情况)的表格",
        "{cells}"),
    "duplicate_report": RuleZh(
        "重复发布",
        "同一机关同一年度发布了不止一份报告;本份已被较新的一份替代"),
    "template_conformance": RuleZh(
        "与模板格式一致",
        "报告印制的标题、行名和表格结构应与模板一致(警告:数字已按模板读出,仅提示印制与模板不同之处)"),
}

SEVERITY_ZH: dict[str, str] = {"error": "错误", "warning": "警告"}

#: Check outcomes (validation_results.status).
CHECK_STATUS_ZH: dict[str, str] = {"passed": "通过", "failed": "未通过",
                                   "not_assessable": "无法核对"}

#: Cell states (etl.template.CELL_STATES, plus ``corrected`` from an office's correction).
CELL_STATE_ZH: dict[str, str] = {
    "number": "数字",
    "blank": "空白",
    "dash": "横线/无",
    "text": "文字",
    "inferred": "推断(数字连写,按勾稽关系唯一拆分)",
    "unknown": "未能确定",
    "absent": "本表无此项",
    "ocr": "OCR识别(行列勾稽关系成立)",
    "corrected": "已更正",
}

#: Report statuses (reports.status).
REPORT_STATUS_ZH: dict[str, str] = {"loaded": "已入库", "quarantined": "无法读取",
                                    "superseded": "已被替代"}

#: Prose figures (etl.template.PROSE_FIGURE_KEYS): Chinese name, and whether prose_vs_table
#: compares it with a table cell (the others are informational).
PROSE_FIGURES_ZH: dict[str, tuple[str, bool]] = {
    "applications_received": ("收到申请", True),
    "applications_handled": ("办结申请", True),
    "carried_forward": ("结转下年度", True),
    "review_total": ("行政复议", True),
    "suit_total": ("行政诉讼", True),
    "review_suit_total": ("复议诉讼合计", True),
    "active_disclosed": ("主动公开信息", False),
    "normative_in_force": ("现行有效规范性文件", True),
    "normative_issued": ("本年制发规范性文件", True),
    "normative_repealed": ("本年废止规范性文件", True),
    "fees_charged_yuan": ("收取信息处理费(元)", False),
    "results_granted": ("予以公开", True),
    "results_partial": ("部分公开", True),
    "results_granted_partial": ("予以公开及部分公开", True),
    "results_denied": ("不予公开", True),
    "results_unable": ("无法提供", True),
    "results_rejected": ("不予处理", True),
    "results_other": ("其他处理", True),
}

#: Printed header texts of table 三 that the row/column catalogue does not carry (the row
#: catalogue starts at the rows; these span them).
#: The texts themselves are the template's (etl.template.definitions), declared there once.
SECTION3_HEADINGS: dict[str, str] = {
    "applicant": SECTION3_APPLICANT_HEADER,
    "legal_person": SECTION3_LEGAL_PERSON_HEADER,   # spans the five organisation columns
    "results": SECTION3_RESULTS_CAPTION,            # spans the result rows (一)…(七)
}
#: Heading of a section 二 table: the 条例 article item it reports.
SECTION2_ITEM_HEADING = "第二十条第{item}项"

#: Why a file was quarantined (etl.errors.REASONS, plus the run's own ``no_year``).
QUARANTINE_REASONS_ZH: dict[str, str] = {
    "unsupported_format": "不支持的文件类型(如表格、压缩包)",
    "unreadable": "文件无法打开",
    "empty": "空文件",
    "undecodable": "无法识别文字编码",
    "corrupt": "文件已损坏",
    "truncated": "文件不完整(在结构结束前截断)",
    "encrypted": "文件有密码保护",
    "no_text_layer": "字形已转为轮廓,既无文字也无可识别的页面图像",
    "converter_missing": "未安装 LibreOffice(apt-get install libreoffice-writer-nogui)",
    "converter_timeout": "LibreOffice 转换超时,已终止",
    "converter_failed": "LibreOffice 转换 .doc/.wps/.rtf 时崩溃或没有输出",
    "ocr_unavailable": "OCR 引擎无法加载(详情中写明需安装的内容)",
    "not_a_report": "未找到年度报告的表三或章节标题",
    "parse_failed": "解析时出现意外错误(程序缺陷,请报告此文件)",
    "bomb": "文件解压后远超其大小(压缩包成员或PDF数据流超限)",
    "too_large": "文件或解析所需超出本次运行的上限",
    "timeout": "解析超时,已终止",
    "worker_crashed": "解析进程在此文件上崩溃",
    "not_a_regular_file": "不是普通文件(管道、套接字或设备),未打开",
    "broken_link": "符号链接指向不存在的文件或形成循环",
    "bad_manifest": "清单 manifest.csv 无法按 UTF-8 CSV 读取",
    "manifest_warning": "清单 manifest.csv 中有被忽略的行或值",
    "duplicate_file": "与另一文件内容完全相同,保留那一份",
    "no_year": "正文和清单都没有给出年度",
}
