"""Street names resolve to codes; the census loader takes real users' shapes and rejects bad rows
with file, row and reason."""

import csv
import shutil

import openpyxl
import pandas as pd
import pytest

from jinchengtuo import config
from jinchengtuo.census import CensusError, load_census_dir, read_census_file
from jinchengtuo.reference import StreetDirectory


@pytest.fixture(scope="module")
def streets():
    return StreetDirectory.load()


def test_directory_has_the_74_official_streets(streets):
    assert len(streets) == 74
    codes = [s.street_code for s in streets]
    assert len(set(codes)) == 74 and all(c.startswith("4403") and len(c) == 9 for c in codes)


@pytest.mark.parametrize(
    "name, code",
    [
        ("园岭街道", "440304002"),
        ("园岭街道办事处", "440304002"),
        ("福田区园岭街道", "440304002"),
        ("深圳市福田区园岭街道办事处", "440304002"),
        ("园岭街道办", "440304002"),
        ("园岭", "440304002"),
        ("  园 岭 街 道 ", "440304002"),
        ("沙头角街道", "440308003"),  # not 沙头 (福田)
        ("沙头街道", "440304005"),
        ("南山街道", "440305002"),  # a street named like its district
        ("福田区福田街道办事处", "440304004"),
        ("龙岗区大鹏街道", "440307010"),  # 大鹏新区 streets carry 龙岗区 codes
        ("大鹏新区南澳街道", "440307011"),
        ("罗湖区园岭街道", None),  # district contradicts the street
        ("园林街道", None),
        ("", None),
    ],
)
def test_resolve_name_forms(streets, name, code):
    assert streets.resolve(name) == code


def test_mentions_prefer_longest_names(streets):
    found = streets.find_mentions("深圳市盐田区沙头角街道办事处与福田区沙头街道、南山区")
    assert [c for _, _, c in found] == ["440308003", "440304005"]


def test_shipped_sample_adds_up_to_real_district_totals():
    load = load_census_dir(config.census_dir())
    ref = pd.read_csv(config.reference_dir() / "districts.csv", dtype={"district_code": str})
    streets = pd.read_csv(config.reference_dir() / "streets.csv", dtype=str)
    df = load.streets.merge(streets[["street_code", "district_name"]], on="street_code")
    assert len(df) == 74 and df.street_code.is_unique
    sums = df.groupby("district_name").agg(pop=("population", "sum"), area=("area_km2", "sum"))
    real = streets.set_index("street_code")
    for d in ref.itertuples():
        assert sums.loc[d.district_name, "pop"] == d.population_2020_census
        mine = real[real.district_name == d.district_name]
        if mine.area_km2.isna().any():  # streets without a published area fill the district's land area
            assert sums.loc[d.district_name, "area"] == pytest.approx(d.area_km2, abs=0.011)
    # the real street figures of the reference data are kept (published areas, census populations)
    area = df.set_index("street_code").area_km2
    assert area["440305009"] == pytest.approx(49.16) and area["440307003"] == pytest.approx(41.8)
    known = real.dropna(subset=["area_km2"])
    assert len(known) >= 28 and (area[known.index] - known.area_km2.astype(float)).abs().max() < 0.006
    pop = df.set_index("street_code").population
    known = real.dropna(subset=["population_2020"])
    assert len(known) == 7 and (pop[known.index] == known.population_2020.astype(int)).all()
    assert pop["440304009"] == 59995  # 华富街道, 7th census (streets.csv gives the source)
    assert df.is_synthetic.all()
    years = set(load.district_population.year)
    assert {2019, 2020, 2021, 2022, 2023} <= years


def _write_csv(path, header, rows, encoding="utf-8-sig"):
    with path.open("w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def test_real_shapes_gbk_csv_xlsx_fraction_shares(tmp_path, streets):
    gbk = tmp_path / "福田区七普.csv"
    _write_csv(gbk, ["街道名称", "常住人口（人）", "家庭户户数", "0—14岁", "60岁及以上"],
               [["深圳市福田区园岭街道办事处", "１１０,７６０", "45655", "0.11", "0.068"], ["福田区", "999", "", "", ""]], encoding="gbk")
    df, issues = read_census_file(gbk, streets)
    assert issues == []
    assert df.street_code.tolist() == ["440304002"]
    assert df.population.tolist() == [110760]
    assert df.pop_0_14_pct.iloc[0] == pytest.approx(11.0) and df.pop_60_plus_pct.iloc[0] == pytest.approx(6.8)

    xlsx = tmp_path / "盐田.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["盐田区第七次全国人口普查分街道数据"])
    ws.append(["街道", "常住人口", "面积(平方公里)"])
    ws.append(["沙头角", 60000, 7.5])
    ws.append(["合计", 60000, None])
    wb.save(xlsx)
    df, issues = read_census_file(xlsx, streets)
    assert issues == [] and df.street_code.tolist() == ["440308003"] and df.area_km2.tolist() == [7.5]


def _sample_copy(tmp_path):
    target = tmp_path / "census"
    shutil.copytree(config.census_dir(), target)
    return target


def _edit_first_csv(folder, fn):
    path = sorted(folder.glob("*福田区.csv"))[0]
    rows = list(csv.reader(path.open(encoding="utf-8-sig")))
    fn(rows)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def test_negative_population_names_file_row_and_reason(tmp_path):
    folder = _sample_copy(tmp_path)

    def edit(rows):
        rows[3][1] = "-5"

    path = _edit_first_csv(folder, edit)
    with pytest.raises(CensusError) as err:
        load_census_dir(folder)
    msg = str(err.value)
    assert path.name in msg and "row 4" in msg and "population must be positive" in msg


def test_unknown_street_and_missing_column(tmp_path):
    folder = _sample_copy(tmp_path)

    def edit(rows):
        rows[2][0] = "幸福路街道"

    path = _edit_first_csv(folder, edit)
    with pytest.raises(CensusError) as err:
        load_census_dir(folder)
    assert f"{path.name}, row 3: street name '幸福路街道' matches none of the 74 streets" in str(err.value)

    folder2 = tmp_path / "c2"
    folder2.mkdir()
    shutil.copy(config.census_dir() / "district_population.csv", folder2)
    _write_csv(folder2 / "x.csv", ["街道", "户数"], [["园岭街道", "100"]])
    with pytest.raises(CensusError) as err:
        load_census_dir(folder2)
    assert "x.csv, row 1: required column 常住人口 (resident population) is missing" in str(err.value)


def test_street_listed_twice_is_rejected(tmp_path):
    folder = _sample_copy(tmp_path)
    _write_csv(folder / "extra.csv", ["街道", "常住人口"], [["园岭街道办事处", "1000"]])
    with pytest.raises(CensusError, match="street 440304002 appears more than once"):
        load_census_dir(folder)
