"""A fictional province: cities -> districts/counties -> streets/townships, plus departments.

Every agency has a stable id, a Chinese name, a region path and a level.  Names come from
syllable pools so that a region of any size stays unique and deterministic for a seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

PROVINCE = "江南省"

# Two-character place names are built from these pools (first + second), shuffled per seed.
_FIRST = "临青安云东西南北江河湖山海平长永宁德清明新兴华阳福泰兰丰嘉崇定乐瑞武文龙凤桐梅松柳"
_SECOND = "江州城川源阳宁平安山溪浦口湾林泉桥塘亭丘岭港川都陵水台"

# Departments (局/委/办) by government level: (name suffix, share of governments that have it).
_DEPTS_CITY = ("发展和改革委员会", "教育局", "公安局", "民政局", "司法局", "财政局",
               "人力资源和社会保障局", "自然资源和规划局", "生态环境局", "住房和城乡建设局",
               "交通运输局", "农业农村局", "卫生健康委员会", "市场监督管理局", "应急管理局",
               "人民政府办公室", "退役军人事务局", "医疗保障局")
_DEPTS_COUNTY = ("发展和改革局", "教育局", "公安分局", "民政局", "财政局", "人力资源和社会保障局",
                 "住房和城乡建设局", "农业农村局", "卫生健康局", "市场监督管理局",
                 "人民政府办公室", "城市管理局")
_DEPTS_PROVINCE = ("发展和改革委员会", "教育厅", "公安厅", "财政厅", "自然资源厅", "生态环境厅",
                   "住房和城乡建设厅", "交通运输厅", "卫生健康委员会", "市场监督管理局",
                   "人民政府办公厅")


@dataclass(frozen=True)
class Agency:
    id: str
    name: str                   # the name it publishes under
    region_path: str            # 江南省/临江市/西湖区/城关街道
    level: str                  # province|city|county|district|street|township|department
    parent_level: str           # the level of the government it belongs to (for departments)


class _Names:
    """Unique two-character names, deterministic for the rng."""

    def __init__(self, rng: random.Random):
        # unique pairs (two agencies sharing a name would be matched as one across years)
        pairs = sorted({a + b for a in _FIRST for b in _SECOND if a != b})
        rng.shuffle(pairs)
        self._pairs = pairs
        self._i = 0

    def next(self) -> str:
        name = self._pairs[self._i % len(self._pairs)]
        rounds = self._i // len(self._pairs)
        self._i += 1
        # after every pair is used once, prefix with a third syllable (still unique)
        return name if rounds == 0 else _FIRST[rounds % len(_FIRST)] + name


def build_region(n_agencies: int, rng: random.Random) -> list[Agency]:
    """At least ``n_agencies`` agencies of one province (then sampled down to exactly that many,
    always keeping the governments so that every level appears)."""
    names = _Names(rng)
    out: list[Agency] = []

    def add(name: str, path: str, level: str, parent_level: str) -> None:
        out.append(Agency(f"JN{len(out) + 1:06d}", name, path, level, parent_level))

    add(f"{PROVINCE[:-1]}省人民政府", PROVINCE, "province", "province")
    for d in _DEPTS_PROVINCE:
        if rng.random() < 0.6:
            add(f"{PROVINCE}{d}", PROVINCE, "department", "province")
    while len(out) < n_agencies:
        city = names.next() + "市"
        cpath = f"{PROVINCE}/{city}"
        add(f"{city}人民政府", cpath, "city", "city")
        for d in _DEPTS_CITY:
            if rng.random() < 0.55:
                add(f"{city}{d}", cpath, "department", "city")
        for _ in range(rng.randint(3, 6)):
            is_district = rng.random() < 0.55
            county = names.next() + ("区" if is_district else "县")
            kpath = f"{cpath}/{county}"
            add(f"{city}{county}人民政府" if rng.random() < 0.3 else f"{county}人民政府", kpath,
                "district" if is_district else "county", "district" if is_district else "county")
            for d in _DEPTS_COUNTY:
                if rng.random() < 0.45:
                    add(f"{county}{d}", kpath, "department", "county")
            for _ in range(rng.randint(3, 9)):
                if is_district or rng.random() < 0.3:
                    street = names.next() + "街道"
                    add(street + ("办事处" if rng.random() < 0.4 else ""), f"{kpath}/{street}",
                        "street", "street")
                else:
                    town = names.next() + ("镇" if rng.random() < 0.7 else "乡")
                    add(f"{town}人民政府", f"{kpath}/{town}", "township", "township")
    if len(out) > n_agencies:
        governments = [a for a in out if a.level in ("province", "city")][: max(1, n_agencies // 4)]
        rest = [a for a in out if a not in governments]
        keep = set(governments) | set(rng.sample(rest, n_agencies - len(governments)))
        out = [a for a in out if a in keep]
    return out
