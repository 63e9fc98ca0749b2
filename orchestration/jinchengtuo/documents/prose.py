"""Field extraction from prose: rule-of-law reports (rl_*), work summaries (ws_*) and the prose part
of information-disclosure reports (od_items_published, rq_*, rv_*, lt_*).

How a figure is attached to a field
-----------------------------------
Documents write "全年共受理群众诉求12,345件，办结12,100件，办结率98.0%，同比下降5%". Each number
is read with :func:`numbers.find_numbers` together with the measure word after it (件, 宗, 场,
名, 人次, %, …); a number without one is a name or a code (12345热线, 两抢) and is skipped. Its
*local prefix* is the words between the previous number (or the start of the clause) and the
number: "全年共受理群众诉求" for 12,345, "办结" for 12,100. A field (:class:`FieldRule`) is a
set of cues:

- ``pre``: the object the number counts, in the local prefix (诉求, 行政复议, 演练 …);
- ``post``: the object written after the measure word ("350名网格员", "56场居民议事会");
- ``good`` / ``bad``: verbs that make the figure the right one or a near miss
  (整改 for hazards rectified; 办结 is not 受理; 成功 is not all disputes handled);
- ``exclude``: words that make the figure another one (新增 volunteers are not the total).

A number whose own words are a short elliptical phrase (", 办结12,100件", "来访120批560人次")
or a subset ("其中…") takes the object of the number before it in the same sentence;
a subset also shares its parent's verb. Distractors drop a number for every field: last
year's figure (去年, 上年, 同期, another year, or a leading "2021年，" clause), the
district's or city's figure (全区, 全市, 区级, "福田区全年…"), plans and targets (计划, 目标,
力争, and whole plan sections such as "二、2023年工作计划"), per-unit figures (每, 平均,
月均) and changes (同比增加5场). A figure for part of the year (上半年, 截至11月底) is kept
only when the document gives none for the whole year. "A、B分别为x、y" lists are paired
up. Negations give 0: "无行政诉讼败诉", "未发生行政复议案件", "全年未发生火灾".

Approximate figures ("300多篇", "近150条", "420余次", "1万余人") are never values: an exact
figure for the field wins whatever its score, and a field stated only approximately is left
empty with a ``prose_approximate`` issue. Multiplied units are read whole ("3.7万处" = 37,000,
also when a tag or a line break stands between 3.7 and 万). Traditional characters are
converted (OpenCC) before matching.

For each field the best-scored candidate of the document wins (ties: the first; a tie with
another value is reported as a conflict). Each value keeps its sentence as the document
wrote it (``source_text``) and its page or HTML section (``source_page``). Lines wrapped by a
PDF layout are joined first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from .numbers import ParsedNumber, find_numbers, normalize

# --------------------------------------------------------------------------- measure words

# longest first; 万/亿 multipliers are consumed by find_numbers already (1.2万人次 -> 12000 人次)
_MEASURES = (
    "人次", "家次", "批次", "场次", "宗次", "件次", "个次", "户次", "次", "宗", "件", "起",
    "场", "名", "人", "个", "处", "项", "家", "批", "份", "期", "户", "单", "条", "间", "栋", "支", "位",
)
_MEASURE_RE = re.compile(r"\s*(?:余|多|左右)?\s*(" + "|".join(_MEASURES) + ")")

# sentence and clause boundaries (normalised text: full-width punctuation is ASCII already)
_SENTENCE_END = re.compile(r"[。!?;！？；\n]")
_CLAUSE_END = "，,。;；!?！？\n"

# distractors that drop a number for every field, searched in its local prefix
_PAST = r"去年|上年|上一年|前一年|同期|上年度|往年|历年平均"
_WIDER = (
    r"全区|区级|全市|市级|全省|省级|全国|全县|区里|市里|区委|区政府|区属|本区|我区|该区|各街道|全街道平均"
    # a named district's figure: '福田区全年受理…', '宝安区共…' (not 辖区, 社区, 小区, 园区 …)
    r"|[\u4e00-\u9fff](?<![辖社小园城片景街校营厂库港商本我该])区(?:全年|共|累计|各类|整体|范围内|总计|合计)"
)
_PLAN = r"计划|目标|力争|拟|预计|任务数|指标为|不少于|不低于|要求"
_PER_UNIT = r"每|平均|人均|户均|月均|日均|周均|占比|比例"
_PART_OF_YEAR = r"上半年|下半年|[一二三四1-4]季度|前三季度|1-(?:1[01]|[1-9])月|[1一]至(?:1[01]|[1-9]|十一|十(?![一二])|[一二三四五六七八九])月|截至(?:1[01]|[1-9])月|截至(?:十一|十(?![一二])|[一二三四五六七八九])月"
_CHANGE = r"同比|环比|(?:增加|减少|增长|下降|上升|降低|多|少)了?$"
_GENERIC_EXCLUDE = re.compile("|".join([_PAST, _WIDER, _PLAN, _PER_UNIT, _CHANGE]))
# for a field that *is* about last year (上年结转 requests carried into this year)
_GENERIC_EXCLUDE_NOT_PAST = re.compile("|".join([_WIDER, _PLAN, _PER_UNIT, _CHANGE]))
# a part of the year: kept only when the document gives nothing for the whole year
_PARTIAL = re.compile(_PART_OF_YEAR)


@dataclass(frozen=True)
class FieldRule:
    field_id: str
    doc_type: str
    unit: str  # the unit of fields.csv
    measures: tuple[str, ...] = ()  # accepted measure words after the number (ignored for percent)
    percent: bool = False
    pre: str | None = None  # object cue in the local prefix
    post: str | None = None  # object cue right after the measure word
    require: str | None = None  # must also be in the local prefix (e.g. 辖 for communities)
    good: str | None = None
    bad: str | None = None
    exclude: str | None = None
    negation: str | None = None  # a clause that states the figure is zero
    signed: bool = False  # 下降 -> negative, 上升 -> positive (changes against last year)
    inherit: bool = True  # may take its object from the previous number in the sentence
    past_ok: bool = False  # the field is about last year's leftovers (上年结转): 上年 is no distractor
    avoid: str | None = None  # the sentence before the number is about something else …
    unless: str | None = None  # … unless it also names this

    def rx(self, name: str) -> re.Pattern | None:
        value = getattr(self, name)
        return _compiled(value) if value else None


_CACHE: dict[str, re.Pattern] = {}


def _compiled(pattern: str) -> re.Pattern:
    rx = _CACHE.get(pattern)
    if rx is None:
        rx = _CACHE[pattern] = re.compile(pattern)
    return rx


_CASES = ("宗", "件", "起", "宗次", "件次", "个")
_EVENTS = ("场", "次", "场次", "期")
_PEOPLE = ("名", "人", "位")
_NEG = r"(?:无|未发生|未出现|没有|未有|零|杜绝|未收到|未接到|未接收到?|未受理|未产生)"

RULES: tuple[FieldRule, ...] = (
    # ---------------------------------------------------------------- rule_of_law
    FieldRule(
        "rl_enforcement_cases", "rule_of_law", "宗", _CASES,
        pre=r"执法案件|行政处罚|处罚案件|执法.{0,6}案件|立案查处|查处.{0,8}案件|办理.{0,6}执法|行政执法|执法[^，。；\d]{0,8}立案|立案[^，。；\d]{0,3}$",
        exclude=r"复议|诉讼|应诉|纠错|撤销|法制审核|合法性审查|审核|听证|重大",
        good=r"查处|办理|立案|办结|作出",
    ),
    FieldRule(
        "rl_review_cases", "rule_of_law", "宗", _CASES,
        pre=r"行政复议|复议案件|被申请.{0,4}复议|复议",
        exclude=r"纠错|撤销|被纠正|败诉|维持|确认违法|诉讼",
        negation=_NEG + r"[^，。；\d]{0,16}(?:行政)?复议(?:案件|申请)?(?![^，。；]{0,4}(?:纠错|撤销|纠正|维持|确认违法|被))",
    ),
    FieldRule(
        "rl_litigation_cases", "rule_of_law", "宗", _CASES,
        pre=r"行政诉讼|行政应诉|应诉案件|行政案件.{0,3}应诉|被诉",
        exclude=r"败诉|出庭|负责人|纠错|撤销|民事|刑事|胜诉|调撤|复议",
        negation=_NEG + r"[^，。；\d]{0,16}(?:行政)?(?:诉讼|应诉)(?:案件)?(?![^，。；]{0,4}(?:败诉|纠错|撤销|纠正|被))",
    ),
    FieldRule(
        "rl_litigation_lost", "rule_of_law", "宗", _CASES,
        pre=r"败诉",
        exclude=r"胜诉|民事",
        negation=_NEG + r"[^，。；\d]{0,14}败诉|均?未(?:有|出现|发生)?(?:一起|一宗)?败诉|败诉(?:案件)?(?:数|率)?(?:为|均为)?(?:零|0)(?![\d.])",
    ),
    FieldRule(
        "rl_legal_reviews", "rule_of_law", "件", ("件", "份", "宗", "项", "个"),
        pre=r"(?:合法性|法制|法律|合规性)(?:审查|审核)|(?:审查|审核)[^，。；\d]{0,10}(?:文件|合同|协议|决策|规范性)",
        post=r"^[^，。；\d]{0,16}(?:合法性|法制|法律|合规性)(?:审查|审核)",
        exclude=r"执法决定|处罚决定|案件",
        good=r"文件|合同|协议",
    ),
    FieldRule(
        "rl_law_education_events", "rule_of_law", "场", _EVENTS,
        pre=r"普法|法治宣传|法制宣传|法律宣传|法治讲座|法律讲座|送法|法治文化|宪法宣传|民法典宣传|以案释法|(?:法律|法治)[七六五]?进",
        exclude=r"培训班|学法考试|旁听庭审",
        good=r"活动|讲座|宣传",
    ),
    FieldRule(
        "rl_mediation_cases", "rule_of_law", "宗", ("宗", "件", "起"),
        pre=r"矛盾纠纷|纠纷|调解|调处|人民调解",
        exclude=r"调解员|调解室|工作室|诉讼|复议",
        good=r"调处|受理|排查|化解|调解",
        bad=r"成功|调成|达成.{0,4}协议|化解成功",
    ),
    FieldRule(
        "rl_mediation_success_rate", "rule_of_law", "%", percent=True,
        pre=r"(?:调解|调处|化解)[^，。；\d]{0,6}(?:成功率|化解率)|调解成功率|调处成功率|成功率|化解率",
        exclude=r"办结率|满意率|出庭率|调撤率",
        avoid=r"诉讼|复议|信访|招商|就业|诉求",
        unless=r"调解|纠纷|调处",
    ),
    FieldRule(
        "rl_leaders_in_court", "rule_of_law", "宗", ("宗", "次", "件", "人次", "起", "场"),
        pre=r"(?:负责人|领导|一把手|主要负责|班子成员)[^，。；\d]{0,8}出庭|出庭应诉",
        exclude=r"旁听|出庭率",
        good=r"负责人|领导",
        negation=r"(?:负责人|领导|一把手|主要负责)[^，。；\d]{0,8}(?:未|没有|均未|无需)(?:出庭)",
    ),
    # ---------------------------------------------------------------- work_summary
    FieldRule(
        "ws_communities", "work_summary", "个", ("个",),
        pre=r"(?:社区|居委会)(?:居委会)?(?:总数|数量|数)?(?:为|共|有|达)?[:\s]*$",
        post=r"^(?:社区|居委会|社区居委会)(?!党|工作站|网格|服务中心|股份|居民|工作者|干部|书记|食堂|医院|健康)",
        require=r"辖|设|共有|现有|涵盖|覆盖|包括|分为|管理|共|数量|总数|社区数|全街道|全部",
        exclude=r"试点|选取|其中|新增|示范|创建|挂点|结对|成立",
    ),
    FieldRule(
        "ws_grids", "work_summary", "个", ("个",),
        pre=r"(?<![员长化])网格(?!员|长|化|中心|员队伍)[^，。；\d]{0,4}$",
        post=r"^(?:基础|社区|综合)?网格(?!员|长|化|中心|党|工作站)",
        exclude=r"网格员|试点|新增|调整",
    ),
    FieldRule(
        "ws_grid_workers", "work_summary", "人", _PEOPLE,
        pre=r"网格员|网格管理员|网格信息员|网格工作人员",
        post=r"^(?:专职|专兼职|兼职|社区)?网格(?:员|管理员|信息员|工作人员)",
        exclude=r"新增|招聘|培训|表彰|优秀|为主体|为骨干|为主力|发动|动员",
    ),
    FieldRule(
        "ws_citizen_requests", "work_summary", "件", ("件", "宗", "单", "个", "条", "宗次", "件次"),
        pre=r"诉求|12345|工单|民生事项|群众反映|民意速办|热线",
        good=r"受理|办理|接收|收到|处置|处理|接办|承办|转办",
        bad=r"办结|解决|回访|满意|按时|超期|重复|不满意",
        exclude=r"新增|企业诉求",
    ),
    FieldRule(
        "ws_requests_closed_rate", "work_summary", "%", percent=True,
        pre=r"办结率|结案率|办结[^，。；\d]{0,2}率|办理率|处置率",
        exclude=r"满意率|回访率|按时|按期|及时|准时|超期|重复",
        avoid=r"民生实事|实事|项目|工程|提案|建议|议案|信息公开|申请",
        unless=r"诉求|工单|12345|热线|事件|投诉|民意",
    ),
    FieldRule(
        "ws_petition_batches", "work_summary", "批次", ("批次", "批"),
        pre=r"来访|信访|接访|上访|访民",
        exclude=r"集体访|群体|越级|赴京|赴省|进京",
    ),
    FieldRule(
        "ws_petition_persons", "work_summary", "人次", ("人次", "人"),
        pre=r"来访|信访|接访|上访|访民",
        exclude=r"集体访|群体|越级|赴京|赴省|进京|工作人员|干部|专职|专干|队伍",
    ),
    FieldRule(
        "ws_safety_inspections", "work_summary", "家次", ("家次", "家", "间次", "个次", "间", "次"),
        pre=r"检查|排查|巡查|督查|执法检查|安全检查",
        exclude=r"隐患|演练|消防栓|核酸",
        good=r"企业|场所|单位|门店|出租屋|三小|工厂|店铺|商户",
        bad=r"覆盖",
    ),
    FieldRule(
        "ws_hazards_rectified", "work_summary", "处", ("处", "项", "个", "条", "宗"),
        pre=r"隐患|安全问题|风险点",
        good=r"整改|消除|治理|销号|整治|排除",
        bad=r"发现|排查出|查出|未整改|正在整改|剩余|限期",
        exclude=r"通报|上报|采集|录入|信息",
    ),
    FieldRule(
        "ws_emergency_drills", "work_summary", "场", _EVENTS,
        pre=r"演练|演习",
        post=r"^(?:各类|综合|专项|实战|应急|消防|防汛|疏散|桌面)*(?:应急)?(?:演练|演习)",
        exclude=r"培训|宣传|预案",
    ),
    FieldRule(
        "ws_fire_incidents", "work_summary", "起", ("起", "宗", "次"),
        pre=r"火灾|火警",
        exclude=r"亡人|较大|重大|隐患|演练|消防检查",
        negation=r"(?:全年|辖区|全街道)?(?:未发生|无|没有发生)(?:一起)?火灾(?:事故)?(?!隐患)(?![^，。；]{0,6}(?:较大|重大|亡人|伤亡))",
    ),
    FieldRule(
        "ws_crime_change_pct", "work_summary", "%", percent=True, signed=True,
        pre=r"警情|刑事|治安|案件|发案|两抢|盗窃",
        require=r"同比|较上年|较去年|比上年|比去年|较同期|下降|上升|增长|减少|降低|增加",
        exclude=r"破案率|满意|安全感|交通|火灾|行政|执法|处罚|诉讼|复议|信访|诉求",
    ),
    FieldRule(
        "ws_council_meetings", "work_summary", "场", _EVENTS,
        pre=r"议事会|议事协商|协商议事|居民议事|议事|协商会|恳谈会|听证会",
        exclude=r"议事规则",
    ),
    FieldRule(
        "ws_volunteers", "work_summary", "人", _PEOPLE + ("人次", ""),
        pre=r"志愿者",
        post=r"^(?:注册)?志愿者",
        good=r"注册|累计|总数|共有|现有|达|登记",
        exclude=r"新增|新注册|新招募|招募|本年|今年|年内|参与|服务时长|出动|组织|为主体|发动|动员",
    ),
    FieldRule(
        "ws_livelihood_projects", "work_summary", "项", ("项", "件", "个"),
        pre=r"民生实事|民生项目|民生微实事|为民办实事|民生工程|实事项目",
        good=r"完成|办结|落地|竣工|实施完成|建成",
        bad=r"推进|在建|启动|正在|未完成|开工",
        exclude=r"计划|拟|征集|申报|确定|部署",
    ),
    FieldRule(
        "ws_contract_staff", "work_summary", "人", _PEOPLE,
        pre=r"临聘|编外|购买服务人员|政府购买服务|聘员|雇员|辅助人员|劳务派遣",
        exclude=r"新增|招聘|清退|减少",
    ),
    FieldRule(
        "ws_seconded_staff", "work_summary", "人", _PEOPLE + ("人次",),
        pre=r"借调|抽调",
        post=r"^[^，。；\d]{0,12}(?:借调|抽调)",
        exclude=r"借调回|返回|归队",
    ),
)

# the information-disclosure report's prose part (一、总体情况) restates figures of its tables, and
# a report without tables states them only there: items published, requests and their results,
# reviews and lawsuits. Counts of requests are in 件/宗/个/份 (never 次: '依申请公开3次' counts
# something else), zeros as negations ('未收到政府信息公开申请', '未发生…行政复议和行政诉讼').
_REQ = ("件", "宗", "个", "份")
_REQUEST = r"(?:政府)?信息公开(?:的)?申请|公开政府信息的申请"
_REQ_OTHER = r"结转|办结|答复|予以公开|部分公开|不予公开|无法提供|不掌握|不予处理|复议|诉讼|期限内|纠错|败诉"
_ND = r"[^，。；\d]"
RULES += (
    FieldRule(
        "od_items_published", "info_disclosure", "条", ("条", "件", "篇"),
        pre=r"主动公开|公开" + _ND + r"{0,8}信息|发布" + _ND + r"{0,8}信息|(?:网站|平台|公开栏|专栏)" + _ND + r"{0,8}(?:发布|公开|更新)",
        post=r"^" + _ND + r"{0,6}(?:政府)?信息",
        # cumulative totals, the district's, media reports, requests: not the year's items
        exclude=r"依申请|申请|累计|历年|栏目|媒体|报道|报刊|刊发|转载|播出|稿件|解读",
        good=r"主动公开|本年|新增|全年",
    ),
    FieldRule(
        "rq_new", "info_disclosure", "件", _REQ,
        pre=r"(?:新收|受理|核收|收到|接收|接到|收悉|登记)" + _ND + r"{0,30}(?:" + _REQUEST + r")|(?:" + _REQUEST + r")(?:总数|数量|共|合计)",
        post=r"^" + _ND + r"{0,8}(?:" + _REQUEST + r")",
        exclude=_REQ_OTHER,
        good=r"新收|收到|受理|核收|接收",
        negation=r"(?:未|没有)(?:收到|接到|接收到?|受理|收悉)" + _ND + r"{0,24}(?:" + _REQUEST + r")",
    ),
    FieldRule(
        "rq_carried_in", "info_disclosure", "件", _REQ,
        pre=r"(?:上年|上一年度?|上年度)结转", exclude=r"结转(?:至|到)?下", past_ok=True,
    ),
    FieldRule(
        "rq_carried_out", "info_disclosure", "件", _REQ,
        pre=r"结转(?:至|到)?下(?:一)?年度?|(?:仍在|尚在|正在)(?:法定)?(?:办理|答复)?期限内",
        post=r"^" + _ND + r"{0,4}(?:(?:仍在|尚在|正在)(?:法定)?(?:办理|答复)?(?:期限|期)内|结转(?:至|到)?下(?:一)?年)",
        exclude=r"上年结转|上一年度?结转",
    ),
    FieldRule(
        "rq_granted", "info_disclosure", "件", _REQ,
        pre=r"予以公开|同意公开|全部公开", post=r"^" + _ND + r"{0,4}(?:予以公开|同意公开|全部公开)",
        exclude=r"部分公开|不予公开",
    ),
    FieldRule(
        "rq_partly", "info_disclosure", "件", _REQ,
        pre=r"部分公开", post=r"^" + _ND + r"{0,4}部分公开",
    ),
    FieldRule(
        "rq_denied", "info_disclosure", "件", _REQ,
        pre=r"不予公开", post=r"^" + _ND + r"{0,4}不予公开",
    ),
    FieldRule(
        # 无法提供, restated by its first reason: '本机关不掌握相关政府信息2宗'
        "rq_unavailable", "info_disclosure", "件", _REQ,
        pre=r"无法提供|不掌握相关(?:政府)?信息|信息不存在", post=r"^" + _ND + r"{0,6}(?:无法提供|本机关不掌握|不掌握相关)",
    ),
    FieldRule(
        "rq_total_handled", "info_disclosure", "件", _REQ,
        pre=r"(?:已|均已|全部)?(?:办结|办理完毕|答复完毕|作出答复)", exclude=r"率|结转|期限内",
    ),
    FieldRule(
        "rv_total", "info_disclosure", "件", ("件", "宗", "起", "个"),
        pre=r"(?:行政)?复议", exclude=r"纠错|纠正|撤销|维持|诉讼|确认违法",
        negation=_NEG + _ND + r"{0,30}(?:行政)?复议(?:案件|申请)?(?![^，。；]{0,4}(?:纠错|撤销|纠正|维持|确认违法|被))",
    ),
    FieldRule(
        "rv_corrected", "info_disclosure", "件", ("件", "宗", "起", "个"),
        pre=r"复议" + _ND + r"{0,6}(?:纠错|纠正|被撤销|被纠正|确认违法)",
        negation=_NEG + _ND + r"{0,20}复议" + _ND + r"{0,4}(?:纠错|纠正|被纠正|被撤销|确认违法)",
    ),
    FieldRule(
        "lt_total", "info_disclosure", "件", ("件", "宗", "起", "个"),
        pre=r"行政诉讼|被诉|起诉", exclude=r"败诉|纠错|纠正|撤销|出庭|应诉|胜诉|复议后",
        negation=_NEG + _ND + r"{0,30}(?:行政)?诉讼(?:案件)?(?![^，。；]{0,4}(?:败诉|纠错|撤销|纠正|被))",
    ),
    FieldRule(
        "lt_corrected", "info_disclosure", "件", ("件", "宗", "起", "个"),
        pre=r"(?:诉讼|被诉)" + _ND + r"{0,6}(?:败诉|纠错|纠正|被撤销|确认违法)|败诉",
        negation=_NEG + _ND + r"{0,20}诉讼" + _ND + r"{0,4}(?:败诉|纠错|纠正|被撤销)",
    ),
)

# the document types that are mostly prose: a document of these with no field is reported
PROSE_DOC_TYPES = ("rule_of_law", "work_summary")

RULES_BY_DOC_TYPE: dict[str, tuple[FieldRule, ...]] = {}
for _r in RULES:
    RULES_BY_DOC_TYPE.setdefault(_r.doc_type, ())
    RULES_BY_DOC_TYPE[_r.doc_type] += (_r,)


def _prepare(text: str) -> str:
    """Full-width forms to ASCII and traditional characters to simplified (OpenCC, character by
    character), the length kept so offsets into the original text stay valid. The readers
    convert traditional pages already (documents.chinese); this covers text handed in directly."""
    from .chinese import to_simplified_chars

    return to_simplified_chars(normalize(text))


# --------------------------------------------------------------------------- matching

@dataclass
class ProseMatch:
    """One value found in prose, before it becomes an ExtractedValue."""

    field_id: str
    value: float
    unit: str
    page: int | None
    sentence: str
    score: float
    position: int  # order in the document, for ties
    approximate: bool = False
    method: str = "prose"
    # other figures the document gives for the field with the same score (a conflict)
    conflicts: list[tuple[float, str]] = field(default_factory=list)


@dataclass
class _Num:
    n: ParsedNumber
    measure: str  # the measure word after it ('%' for percentages, '' for none)
    end: int  # end of number + measure word
    prefix: str  # local prefix
    suffix: str  # text after the measure word up to the clause end
    inherited: list[str] = field(default_factory=list)  # prefixes inherited from earlier numbers
    clause_head: str = ""  # the clause up to the number
    partial: bool = False  # the figure covers part of the year only
    parent: str = ""  # for '其中…' subsets: the words of the number they are part of


_KEEP_BREAK_AFTER = "。；;！？!?:："
_WRAP_MIN = 15
_HEADING_LINE = re.compile(r"^[一二三四五六七八九十]+、[^，,。；;：:！？!?]{2,30}$")  # a line this long without closing punctuation was wrapped by the layout


def _join_wrapped_lines(text: str) -> tuple[str, list[int]]:
    """PDF and some HTML text break lines inside sentences ('受理群众诉求12,345\n件').
    Join a line to the next when it is long and does not end a sentence; keep short lines
    (headings) and lines ending in 。；！？ apart. Returns the joined text and, for each of
    its characters, the offset of that character in ``text``."""
    if "\n" not in text:
        return text, list(range(len(text)))
    out: list[str] = []
    index: list[int] = []
    lines = text.split("\n")
    offset = 0
    for i, line in enumerate(lines):
        stripped = line.rstrip()
        out.extend(line)
        index.extend(range(offset, offset + len(line)))
        offset += len(line) + 1
        if i == len(lines) - 1:
            break
        nxt = lines[i + 1].lstrip()
        wrapped = (
            len(stripped.strip()) >= _WRAP_MIN
            and stripped[-1:] not in _KEEP_BREAK_AFTER
            and nxt != ""
            and not re.match(r"[一二三四五六七八九十]+、|[(（][一二三四五六七八九十\d]+[)）]|\d+[.、]", nxt)
            # a section heading on its own line ('五、因政府信息公开申请行政复议、提起行政诉讼的情况')
            # never runs into the sentence after it
            and not _HEADING_LINE.match(stripped.strip())
        )
        if wrapped:
            # drop trailing spaces written before the break and the next line's indent
            while out and out[-1] == " ":
                out.pop()
                index.pop()
            lead = len(lines[i + 1]) - len(nxt)
            lines[i + 1] = nxt
            offset += lead
        else:
            out.append("\n")
            index.append(offset - 1)
    return "".join(out), index


def _sentences(text: str) -> Iterable[tuple[int, str]]:
    start = 0
    for m in _SENTENCE_END.finditer(text):
        if m.start() > start:
            yield start, text[start:m.start()]
        start = m.end()
    if start < len(text):
        yield start, text[start:]


_CLAUSE_END_RE = re.compile("[" + re.escape(_CLAUSE_END) + "]")


_CLAUSE_START_RE = re.compile("[" + re.escape(_CLAUSE_END) + "][^" + re.escape(_CLAUSE_END) + "]*$")


def _clause_start(sentence: str, pos: int) -> int:
    m = _CLAUSE_START_RE.search(sentence, 0, pos)
    return m.start() + 1 if m else 0


def _clause_end(sentence: str, pos: int) -> int:
    m = _CLAUSE_END_RE.search(sentence, pos)
    return m.start() if m else len(sentence)


# the words of an elliptical phrase, which takes its object from the number before it
_CONNECTORS = " ,，、和及与共计约为达到了"
_ELLIPSIS_MAX = 7

_YEAR_RE = re.compile(r"(20\d\d|19\d\d)\s*年")


def _numbers_in_sentence(sentence: str) -> list[_Num]:
    out: list[_Num] = []
    prev_end = 0
    for n in find_numbers(sentence, normalized=True):
        # years, ordinals, dates and codes are not quantities
        after = sentence[n.end:n.end + 1]
        before = sentence[max(0, n.start - 1):n.start]
        if before in ("第", "数", "几") or after in ("年", "月", "日", "号", "时", "周", "届", "季", "轮", "级", "类", "大", "是", "方", "化", "部"):
            # keep prev_end moving so a date does not glue two phrases together
            continue
        if n.percent:
            measure, end = ("%" if n.text.rstrip().endswith("%") or n.text.startswith("百分之") else "pp"), n.end
        else:
            m = _MEASURE_RE.match(sentence, n.end)
            if m:
                measure, end = m.group(1), m.end()
            elif re.search(r"[万萬亿億]", n.text):
                measure, end = "", n.end  # '志愿者1.2万': a count, its measure word left out
            else:
                # a number with no measure word is a name or a code (12345热线, 两抢, 三小场所),
                # not a quantity: it neither gives a value nor cuts the next number's prefix
                continue
        cstart = _clause_start(sentence, n.start)
        pstart = max(cstart, prev_end)
        prefix = sentence[pstart:n.start]
        if prev_end > cstart and "、" in prefix:
            # '3宗行政复议申请、2宗行政诉讼': the words before 、 name the previous number
            prefix = prefix[prefix.index("、") + 1:]
        suffix = sentence[end:_clause_end(sentence, end)]
        out.append(_Num(n, measure, end, prefix, suffix, clause_head=sentence[cstart:n.start]))
        prev_end = end
    _resolve_respectively(sentence, out)
    return out


_RESPECTIVELY = re.compile(r"分别(?:为|是|达到?|有|占)?")


def _resolve_respectively(sentence: str, nums: list[_Num]) -> None:
    """'办结率、满意率分别为99.2%、96.5%': the k-th number after 分别 takes the k-th object
    named before it, as its own prefix."""
    i = 0
    while i < len(nums):
        m = _RESPECTIVELY.search(nums[i].prefix)
        if not m:
            i += 1
            continue
        head = nums[i].prefix[: m.start()]
        objects = [o for o in re.split(r"[、和及与,，]|以及", head) if o.strip()]
        clause_end = _clause_end(sentence, nums[i].n.start)
        group = [nums[i]]
        j = i + 1
        while j < len(nums) and nums[j].n.start < clause_end:
            group.append(nums[j])
            j += 1
        if len(objects) >= len(group) >= 2:
            lead = objects[: len(objects) - len(group) + 1]  # verbs before the first object
            objects = ["".join(lead)] + objects[len(objects) - len(group) + 1:]
            for num, obj in zip(group, objects):
                num.prefix = obj
        i = j


_TITLE_YEAR_RE = re.compile(
    r"((?:19|20)\d\d)\s*年度?(?![\d一二三四五六七八九十]{1,2}月)[^\n。；;]{0,24}?"
    r"(?:报告|总结|工作情况|工作要点|述职|回顾)"
)
_DATE_RE = re.compile(r"(?:19|20)\d\d\s*年\s*[\d一二三四五六七八九十〇]{1,2}\s*月")


def _report_year(head: str, whole: str) -> int | None:
    """The year a report is about: from its title ('2022年法治政府建设年度报告',
    '关于2022年度工作情况的报告'), else the year the text names most often. Dates
    ('成文日期：2023年01月15日') are not report years."""
    m = _TITLE_YEAR_RE.search(head[:600])
    if m:
        return int(m.group(1))
    counts: dict[int, int] = {}
    text = _DATE_RE.sub("", whole)
    for m in _YEAR_RE.finditer(text):
        y = int(m.group(1))
        counts[y] = counts.get(y, 0) + 1
    if not counts:
        return None
    return max(counts, key=lambda y: (counts[y], -y))


def _other_year(prefix: str, report_year: int | None) -> bool:
    if report_year is None:
        return False
    for m in _YEAR_RE.finditer(prefix):
        if int(m.group(1)) != report_year:
            return True
    return False


_ANY_OBJECT: dict[str, re.Pattern] = {
    doc_type: re.compile("|".join(f"(?:{r.pre})" for r in rules if r.pre))
    for doc_type, rules in RULES_BY_DOC_TYPE.items()
}
# the rules that may take a number with a given measure word ('%' for percentages)
_BY_MEASURE: dict[str, dict[str, tuple[FieldRule, ...]]] = {}
for _dt, _rules in RULES_BY_DOC_TYPE.items():
    _index: dict[str, tuple[FieldRule, ...]] = {}
    for _r in _rules:
        for _m in (("%",) if _r.percent else _r.measures):
            _index[_m] = _index.get(_m, ()) + (_r,)
    _BY_MEASURE[_dt] = _index


_TIME_CLAUSE = re.compile(
    r"^(?:在|于)?(?P<when>去年|上年|上一年|前年|上年度|今年|本年|本年度|全年|(?P<year>(?:19|20)\d\d)\s*年度?)"
    r"(?:全年|以来|同期|上半年|下半年|年底|年末|底|末|1-12月|1至12月)?(?:里|中|内|期间)?$"
)


_PARTIAL_CLAUSE = re.compile(r"^(?:(?:19|20)\d\d年)?(?:" + _PART_OF_YEAR + r")(?:底|末|以来|份)?$")


def _past_time_clause(sentence: str, pos: int, report_year: int | None) -> bool | str:
    """'去年，街道受理…' / '2021年，…': a clause that is only a time expression sets the
    time of the clauses after it; True when that time is not the report's year, 'partial'
    for a part of the year ('截至11月底，…')."""
    past = False
    start = 0
    while start < pos:
        end = _clause_end(sentence, start)
        if end >= pos:
            break
        clause = sentence[start:end].strip()
        m = _TIME_CLAUSE.match(clause)
        if _PARTIAL_CLAUSE.match(clause):
            past = "partial"  # '截至11月底，…' / '上半年，…': part of the year only
        elif m:
            when = m.group("when")
            if m.group("year"):
                past = report_year is not None and int(m.group("year")) != report_year
            else:
                past = when in ("去年", "上年", "上一年", "前年", "上年度")
        start = end + 1
    return past


_ENUMERATED_HEADING = re.compile(r"^(?:[一二三四五六七八九十]+、|[(（][一二三四五六七八九十]+[)）]|\d{1,2}[、.．](?!\d))")
_TOP_HEADING = re.compile(r"^[一二三四五六七八九十]+、")
_PLAN_HEADING = re.compile(r"计划|打算|思路|展望|下一步")
_DONE_HEADING = re.compile(r"总结|完成|成效|回顾|成绩|情况")


def _heading_state(clean: str, in_plan: bool, report_year: int | None) -> bool | None:
    """New plan-section state when ``clean`` is an enumerated heading, else None.

    '二、2023年工作计划', '三、下一步工作打算' start a section of plans whose figures are
    targets; the next top-level heading without such words ends it."""
    if len(clean) > 40 or not _ENUMERATED_HEADING.match(clean):
        return None
    future_year = False
    if report_year is not None:
        future_year = any(int(y) > report_year for y in re.findall(r"((?:19|20)\d\d)\s*年", clean))
    if (_PLAN_HEADING.search(clean) or future_year) and not _DONE_HEADING.search(clean):
        return True
    if _TOP_HEADING.match(clean):
        return False
    return in_plan


# any cue of a doc type: a sentence without one cannot give a value (a fast first filter)
_ANY_CUE: dict[str, re.Pattern] = {
    doc_type: re.compile("|".join(
        f"(?:{p.lstrip('^')})" for r in rules for p in (r.pre, r.post, r.negation) if p
    ))
    for doc_type, rules in RULES_BY_DOC_TYPE.items()
}


def _has_any_object(prefix: str, doc_type: str) -> bool:
    return bool(_ANY_OBJECT[doc_type].search(prefix))


_DERIVED_POST: dict[str, re.Pattern | None] = {}


def _derived_post(rule: FieldRule) -> re.Pattern | None:
    """'组织开展了56场居民议事会', '1,234宗行政处罚案件': the object right after the measure
    word, for rules that name no ``post`` of their own."""
    if rule.field_id not in _DERIVED_POST:
        pre = re.sub(r"\$(?=\||$)", "", rule.pre or "")  # end anchors belong to prefixes
        _DERIVED_POST[rule.field_id] = re.compile(r"^[^，,。；;\d]{0,4}(?:" + pre + ")") if pre else None
    return _DERIVED_POST[rule.field_id]


def _score(rule: FieldRule, num: _Num, sentence_prefix: str, report_year: int | None) -> float | None:
    """Score of a number for a field, or None when it cannot be that field's figure."""
    if rule.percent != (num.measure == "%"):
        return None
    if not rule.percent and num.measure not in rule.measures:
        return None
    local = num.prefix
    # distractors that drop the number outright
    if rule.signed:
        if _compiled(_WIDER + "|" + _PLAN + "|" + _PER_UNIT).search(local):
            return None
    elif rule.past_ok:
        if _GENERIC_EXCLUDE_NOT_PAST.search(local):
            return None
    else:
        if _GENERIC_EXCLUDE.search(local) or _other_year(local, report_year):
            return None
    if rule.exclude and (_compiled(rule.exclude).search(local) or (num.parent and _compiled(rule.exclude).search(num.parent))):
        return None
    if rule.avoid and _compiled(rule.avoid).search(sentence_prefix) and not (
        rule.unless and _compiled(rule.unless).search(sentence_prefix)
    ):
        return None

    score = 0.0
    pre = rule.rx("pre")
    post = rule.rx("post") or _derived_post(rule)
    own = bool(pre and pre.search(local))
    after = bool(post and post.search(num.suffix))
    if own or after:
        score = 4.0
    else:
        inherited = [p for p in num.inherited if pre and pre.search(p)]
        if inherited and rule.inherit:
            # the object was stated for an earlier number of the sentence; its own words
            # (the verb) must not name another object
            score = 3.0
        elif pre and pre.search(sentence_prefix) and not num.inherited:
            score = 1.0
        else:
            return None
    if rule.require:
        req = _compiled(rule.require)
        context = (num.clause_head or local) if not rule.signed else local + num.suffix
        if not req.search(context):
            if rule.signed and num.inherited and any(req.search(p) for p in num.inherited[-1:]):
                pass
            else:
                return None
    if rule.good and (_compiled(rule.good).search(local) or _compiled(rule.good).search(num.suffix[:8])):
        score += 2.0
    if rule.bad and (_compiled(rule.bad).search(local) or (num.parent and _compiled(rule.bad).search(num.parent))):
        score -= 3.0  # a subset ('其中…') shares the verb of what it is part of
    if "其中" in local:
        score -= 1.0
    if num.partial:
        score -= 2.5
    if num.measure == rule.unit:
        score += 0.5  # the field's own unit (家次 rather than 家 for inspections)
    if num.n.approximate:
        score -= 0.5
    return score


def _signed_value(num: _Num) -> float:
    """A change against last year: '同比下降10%' -> -10, '上升5%' -> +5, '-3%' -> -3."""
    if num.n.value < 0:
        return num.n.value
    value = abs(num.n.value)
    down = None
    up = None
    for m in re.finditer(r"下降|减少|降低|下跌|回落|减|降", num.prefix):
        down = m
    for m in re.finditer(r"上升|增长|增加|上涨|提高|增|升", num.prefix):
        up = m
    if down and (not up or down.end() > up.end()):
        return -value
    return value


_MAX_SOURCE = 400


def _source_text(original: str, start: int, end: int) -> str:
    """The sentence as written, with its closing punctuation, cut to a readable length."""
    if end < len(original) and original[end] in "。；;！？!?":
        end += 1
    text = " ".join(re.sub(r"\s*\n\s*", "", original[start:end]).split())
    return text if len(text) <= _MAX_SOURCE else text[: _MAX_SOURCE - 1] + "…"


def find_prose_values(doc_type: str, blocks: Sequence) -> list[ProseMatch]:
    """Every field of ``doc_type`` that the prose states, best candidate per field.

    ``blocks`` are objects with ``page`` and ``text`` (documents.model.TextBlock) or
    (page, text) pairs.
    """
    rules = RULES_BY_DOC_TYPE.get(doc_type, ())
    if not rules:
        return []
    by_measure = _BY_MEASURE[doc_type]
    any_cue = _ANY_CUE[doc_type]
    negations = [r for r in rules if r.negation]
    items: list[tuple[int | None, str, str, list[int]]] = []
    for b in blocks:
        if isinstance(b, tuple):
            page, text = b[0], b[1]
        else:
            page, text = getattr(b, "page", None), getattr(b, "text", "")
        if text:
            joined, index = _join_wrapped_lines(_prepare(str(text)))
            items.append((page, str(text), joined, index))
    report_year = _report_year("\n".join(t for _, _, t, _ in items[:3]), "\n".join(t for _, _, t, _ in items))

    best: dict[str, ProseMatch] = {}
    position = 0

    approximate: dict[str, ProseMatch] = {}

    def offer(m: ProseMatch) -> None:
        if m.approximate:  # '300多篇', '近150条': never competes with an exact figure
            cur = approximate.get(m.field_id)
            if cur is None or m.score > cur.score:
                approximate[m.field_id] = m
            return
        cur = best.get(m.field_id)
        if cur is None or m.score > cur.score:
            best[m.field_id] = m
        elif m.score == cur.score and m.value != cur.value and m.position != cur.position:
            cur.conflicts.append((m.value, m.sentence))

    in_plan = False
    for page, original, text, index in items:
        for start, sentence in _sentences(text):
            position += 1
            clean = sentence.strip()
            if not clean:
                continue
            state = _heading_state(clean, in_plan, report_year)
            if state is not None:
                in_plan = state  # a heading may carry figures too ('1. 网格：划分网格215个')
            if in_plan:
                continue  # targets of next year, not figures of this one
            if not any_cue.search(clean):
                continue
            # the sentence as the document wrote it (normalize keeps offsets)
            lead = len(sentence) - len(sentence.lstrip())
            a = start + lead
            source = _source_text(original, index[a], index[a + len(clean) - 1] + 1)
            # negations: '无行政诉讼败诉', '未发生行政复议案件'
            for rule in negations:
                for nm in _compiled(rule.negation).finditer(clean):
                    cstart = _clause_start(clean, nm.start())
                    head = clean[cstart:nm.start()]
                    if _GENERIC_EXCLUDE.search(head) or _other_year(head, report_year):
                        continue
                    if _past_time_clause(clean, nm.start(), report_year) is True:
                        continue
                    offer(ProseMatch(rule.field_id, 0.0, rule.unit, page, source, 3.0, position, method="prose_negation"))
            nums = _numbers_in_sentence(clean)
            if not nums:
                continue
            # inheritance: a number whose own words name no object takes the earlier ones'
            carried: list[str] = []
            previous = None
            for num in nums:
                if previous is not None and num.prefix.strip(_CONNECTORS).startswith("其中"):
                    num.parent = previous.prefix
                previous = num
                tail = re.split(r"\d", num.suffix, maxsplit=1)[0]
                if _has_any_object(num.prefix, doc_type):
                    carried = [num.prefix]
                elif len(num.prefix.strip(_CONNECTORS)) <= _ELLIPSIS_MAX or num.prefix.strip(_CONNECTORS).startswith("其中"):
                    # a short phrase ('办结', '已整改') or a subset ('其中…') leaves its object out
                    num.inherited = list(carried)
                    carried = carried + [num.prefix] if carried else []
                else:
                    carried = []
                if not _has_any_object(num.prefix, doc_type) and _has_any_object(tail[:8], doc_type):
                    carried = [tail[:8]]  # '15项民生实事已完成14项': the object came after the number
            for num in nums:
                when = _past_time_clause(clean, num.n.start, report_year)
                if when is True:
                    continue
                num.partial = when == "partial" or bool(_PARTIAL.search(num.prefix))
                sentence_prefix = clean[: num.n.start]
                scored: list[tuple[float, FieldRule]] = []
                for rule in by_measure.get(num.measure, ()):
                    s = _score(rule, num, sentence_prefix, report_year)
                    if s is not None and s > 0:
                        scored.append((s, rule))
                if not scored:
                    continue
                top = max(s for s, _ in scored)
                for s, rule in scored:
                    if s < top:
                        continue  # the number belongs to a better-matching field
                    value = _signed_value(num) if rule.signed else num.n.value
                    offer(ProseMatch(rule.field_id, value, rule.unit, page, source, s, position, num.n.approximate))
    for field_id, m in approximate.items():
        best.setdefault(field_id, m)  # only an approximate figure: returned marked, see extract_prose
    return sorted(best.values(), key=lambda m: m.position)


# --------------------------------------------------------------------------- public API

@dataclass(frozen=True)
class ProseValue:
    """A value extracted from prose; the columns of raw.extracted_value that prose knows."""

    field_id: str
    value: float
    unit: str
    source_page: int | None
    source_text: str
    method: str = "prose"


@dataclass(frozen=True)
class ProseIssue:
    """A problem met in prose; the columns of raw.extraction_issue that prose knows."""

    severity: str  # 'warning' | 'info'
    code: str
    message: str
    source_page: int | None = None
    field_id: str | None = None


def _short(text: str, n: int = 80) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def extract_prose(doc_type: str, blocks: Sequence) -> tuple[list, list]:
    """Values and issues of a rule_of_law or work_summary document.

    ``blocks``: TextBlocks (``page``, ``text``) or (page, text) pairs, in reading order; the
    page is the PDF page or the HTML/DOCX section number. Values are in the unit of
    fields.csv. Issues: a field stated with different figures of equal weight
    (``prose_conflict``, the first is kept), a field stated only approximately
    (``prose_approximate``: "300多篇", "近150条", "420余次" are *kept out* of the values, never
    read as exact; an exact figure elsewhere in the document wins over them), and a document of
    a prose type in which no field was found (``prose_no_fields``).
    """
    matches = find_prose_values(doc_type, blocks)
    values: list[ProseValue] = []
    issues: list[ProseIssue] = []
    for m in matches:
        if m.approximate:
            # an approximate figure is kept out of the exact fields, and said so
            issues.append(ProseIssue(
                "info", "prose_approximate",
                f"{m.field_id}: only an approximate figure (about {m.value:g}) in “{_short(m.sentence)}”; not read as a value",
                m.page, m.field_id,
            ))
            continue
        values.append(ProseValue(m.field_id, m.value, m.unit, m.page, m.sentence, m.method))
        if m.conflicts:
            others = "; ".join(f"{v:g} in “{_short(t)}”" for v, t in m.conflicts)
            issues.append(ProseIssue(
                "warning", "prose_conflict",
                f"{m.field_id}: the document also states {others}; kept {m.value:g} from “{_short(m.sentence)}”",
                m.page, m.field_id,
            ))
    if doc_type in PROSE_DOC_TYPES and not values:
        issues.append(ProseIssue("warning", "prose_no_fields", f"no {doc_type} field found in the text"))
    return values, issues
