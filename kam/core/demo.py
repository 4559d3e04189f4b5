"""The demo company: a Russian wholesale distributor of building materials and industrial supplies.

Two steps, so that the company is the same for the same seed whatever the database hands out as ids:

* `plan_company(seed=…, clients=…, today=…)` draws everything in plain Python from `random.Random`
  streams derived from the seed (people, clients with valid INNs and heavy-tailed sizes, dossiers);
* `write_company(plan, log=…)` writes the plan with `bulk_create` in batches (no per-row save, no audit
  entries) and returns the annual purchases per client id for the ledger generator.

`delete_business_data()` empties the business tables (for `manage.py demo --reset`), `logins_table()`
lists the demo logins. The command in kam/core/management/commands/demo.py only wires them together.
"""

from __future__ import annotations

import math
import random
import re
import time
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from itertools import accumulate
from typing import Any

from stdnum.by import unp
from stdnum.ru import inn

DEMO_PASSWORD = "demo-kam-2026"
DEFAULT_SEED = 42
DEFAULT_CLIENTS = 2000
MIN_CLIENTS = 20
LINES_PER_CLIENT = 75  # the default ledger: 150 000 lines for 2 000 clients
AVERAGE_PURCHASES_RUB = 3_000_000  # a year, over all clients; the company's size scales with the client count
DEEP_DOSSIERS = 300  # the larger clients get a full dossier, the rest a cheap one
WRITE_CHUNK = 5000  # clients built and written per round
DEFAULT_KAMS = 12  # kam1 … kam12; `--kams N` adds kam13 … kamN (load tests at 200 KAMs)
MAX_KAMS = 1000

Log = Callable[[str], None]

# --------------------------------------------------------------------------------------------------
# Vocabularies
# --------------------------------------------------------------------------------------------------

DEPARTMENTS = ("Ключевые клиенты — Москва", "Регионы", "Госсектор")
MOSCOW, REGIONS, PUBLIC = 0, 1, 2


@dataclass(frozen=True)
class Region:
    name: str
    inn_code: int
    weight: int
    cities: tuple[str, ...]
    phone_code: str


REGION_LIST = (
    Region("Москва", 77, 24, ("Москва",), "495"),
    Region("Московская область", 50, 9, ("Подольск", "Химки", "Балашиха", "Мытищи", "Одинцово"), "496"),
    Region("Санкт-Петербург", 78, 8, ("Санкт-Петербург",), "812"),
    Region("Ленинградская область", 47, 2, ("Гатчина", "Всеволожск", "Выборг"), "813"),
    Region("Новосибирская область", 54, 4, ("Новосибирск", "Бердск"), "383"),
    Region("Свердловская область", 66, 5, ("Екатеринбург", "Нижний Тагил", "Каменск-Уральский"), "343"),
    Region("Республика Татарстан", 16, 5, ("Казань", "Набережные Челны", "Альметьевск"), "843"),
    Region("Краснодарский край", 23, 5, ("Краснодар", "Сочи", "Новороссийск"), "861"),
    Region("Нижегородская область", 52, 3, ("Нижний Новгород", "Дзержинск"), "831"),
    Region("Самарская область", 63, 3, ("Самара", "Тольятти"), "846"),
    Region("Ростовская область", 61, 3, ("Ростов-на-Дону", "Таганрог"), "863"),
    Region("Челябинская область", 74, 3, ("Челябинск", "Магнитогорск"), "351"),
    Region("Пермский край", 59, 2, ("Пермь",), "342"),
    Region("Республика Башкортостан", 2, 2, ("Уфа", "Стерлитамак"), "347"),
    Region("Красноярский край", 24, 2, ("Красноярск", "Норильск"), "391"),
    Region("Воронежская область", 36, 2, ("Воронеж",), "473"),
    Region("Тюменская область", 72, 2, ("Тюмень", "Тобольск"), "3452"),
    Region("Ханты-Мансийский автономный округ — Югра", 86, 2, ("Сургут", "Нижневартовск"), "3462"),
    Region("Омская область", 55, 1, ("Омск",), "3812"),
    Region("Иркутская область", 38, 1, ("Иркутск", "Братск"), "3952"),
    Region("Приморский край", 25, 1, ("Владивосток", "Находка"), "423"),
    Region("Тверская область", 69, 1, ("Тверь",), "4822"),
    Region("Ярославская область", 76, 1, ("Ярославль", "Рыбинск"), "4852"),
    Region("Тульская область", 71, 1, ("Тула", "Новомосковск"), "4872"),
    Region("Калужская область", 40, 1, ("Калуга", "Обнинск"), "4842"),
)
MOSCOW_REGIONS = ("Москва", "Московская область")
# (country, region shown, legal forms)
FOREIGN = (
    ("BY", "Минск", ("ООО", "ОАО", "ЧУП")),
    ("BY", "Брест", ("ООО", "ЧУП")),
    ("KZ", "Алматы", ("ТОО", "АО")),
    ("KZ", "Астана", ("ТОО",)),
)

LEGAL_FORMS = {
    "ООО": "Общество с ограниченной ответственностью",
    "АО": "Акционерное общество",
    "ПАО": "Публичное акционерное общество",
    "ЗАО": "Закрытое акционерное общество",
    "ОАО": "Открытое акционерное общество",
    "ЧУП": "Частное унитарное предприятие",
    "ТОО": "Товарищество с ограниченной ответственностью",
    "ГБУ": "Государственное бюджетное учреждение",
    "ГКУ": "Государственное казённое учреждение",
    "ГУП": "Государственное унитарное предприятие",
    "МБУ": "Муниципальное бюджетное учреждение",
    "МКУ": "Муниципальное казённое учреждение",
    "МУП": "Муниципальное унитарное предприятие",
    "ГБУЗ": "Государственное бюджетное учреждение здравоохранения",
    "МБОУ": "Муниципальное бюджетное общеобразовательное учреждение",
    "ИП": "Индивидуальный предприниматель",
}
COMPANY_FORMS = (("ООО", 80), ("АО", 13), ("ЗАО", 4), ("ПАО", 1))

NAME_GEO = (
    "Север", "Юг", "Урал", "Сиб", "Волга", "Дон", "Кама", "Нева", "Центр", "Балт",
    "Вятка", "Ока", "Байкал", "Алтай", "Восток", "Запад", "Мос", "Рус", "Евро", "Ангара",
)  # fmt: skip
NAME_ROOT = (
    "Строй", "Тех", "Пром", "Металл", "Бетон", "Энерго", "Инж", "Кров", "Газ", "Дор",
    "Монолит", "Сталь", "Терм", "Гидро", "Электро", "Тепло", "Лес", "Камень", "Фасад", "Труб",
)  # fmt: skip
NAME_TAIL = (
    "Снаб", "Ресурс", "Комплект", "Сервис", "Трейд", "Маркет", "Монтаж", "Инвест", "Проект",
    "Торг", "Альянс", "Лидер", "Профи", "Опт", "Систем",
)  # fmt: skip
NAME_WORD = (
    "Холдинг", "Групп", "Плюс", "Инжиниринг", "Девелопмент", "Логистик", "Партнёр", "Регион",
    "Индустрия", "Комплекс",
)  # fmt: skip
NAME_QUALITY = (
    "Альфа", "Гранит", "Вектор", "Форвард", "Меридиан", "Атлант", "Базис", "Оптима", "Престиж",
    "Капитал", "Горизонт", "Квадрат", "Эталон", "Магистраль", "Орион", "Фундамент",
)  # fmt: skip
NAME_TWINS = (" Плюс", "-М", "-Регион", " Групп", "-Центр", "-Сервис", " 2000", "-Инвест")

COMPANY_INDUSTRIES = (
    ("Жилищное строительство", 14),
    ("Промышленное строительство", 9),
    ("Дорожное строительство", 6),
    ("Девелопмент", 5),
    ("Розничная торговля стройматериалами", 10),
    ("Оптовая торговля", 6),
    ("Производство металлоконструкций", 6),
    ("Производство ЖБИ", 4),
    ("Нефтегазовая отрасль", 4),
    ("Энергетика", 4),
    ("ЖКХ и управляющие компании", 7),
    ("Машиностроение", 4),
    ("Горнодобывающая промышленность", 2),
    ("Агропромышленный комплекс", 3),
    ("Ремонт и отделка", 8),
    ("Инженерные системы (ОВиК)", 6),
    ("Транспорт и логистика", 2),
)
SOLE_TRADER_INDUSTRIES = (
    "Ремонт и отделка",
    "Розничная торговля стройматериалами",
    "Инженерные системы (ОВиК)",
)
FOREIGN_INDUSTRIES = ("Оптовая торговля", "Жилищное строительство", "Промышленное строительство")
# (short-name template, legal form, industry); {n} a number, {city} a city
PUBLIC_TEMPLATES = (
    ("ГКУ «Дирекция капитального строительства № {n}»", "ГКУ", "Капитальное строительство (госзаказчик)"),
    (
        "МКУ «Управление капитального строительства г. {city}»",
        "МКУ",
        "Капитальное строительство (госзаказчик)",
    ),
    ("МУП «Тепловые сети г. {city}»", "МУП", "ЖКХ"),
    ("МУП «Водоканал г. {city}»", "МУП", "ЖКХ"),
    ("МУП «Жилкомсервис № {n} г. {city}»", "МУП", "ЖКХ"),
    ("МБУ «Дорожное хозяйство г. {city}»", "МБУ", "Дорожное хозяйство"),
    ("МБУ «Благоустройство № {n} г. {city}»", "МБУ", "Благоустройство"),
    ("ГБУ «Эксплуатация зданий № {n}»", "ГБУ", "ЖКХ"),
    ("ГУП «Дорремстрой № {n}»", "ГУП", "Дорожное хозяйство"),
    ("МБОУ «Школа № {n}» г. {city}", "МБОУ", "Образование"),
    ("ГБУЗ «Городская больница № {n}» г. {city}", "ГБУЗ", "Здравоохранение"),
)

MALE_FIRST = (
    "Александр", "Алексей", "Андрей", "Антон", "Артём", "Борис", "Вадим", "Валерий", "Виктор",
    "Владимир", "Вячеслав", "Геннадий", "Георгий", "Григорий", "Дмитрий", "Денис", "Евгений", "Егор",
    "Иван", "Игорь", "Илья", "Кирилл", "Константин", "Леонид", "Максим", "Михаил", "Никита", "Николай",
    "Олег", "Павел", "Пётр", "Роман", "Руслан", "Сергей", "Станислав", "Степан", "Тимур", "Фёдор",
    "Юрий", "Ярослав",
)  # fmt: skip
FEMALE_FIRST = (
    "Анна", "Алина", "Алла", "Анастасия", "Валентина", "Вера", "Виктория", "Галина", "Дарья",
    "Екатерина", "Елена", "Жанна", "Ирина", "Карина", "Ксения", "Лариса", "Любовь", "Людмила", "Марина",
    "Мария", "Надежда", "Наталья", "Нина", "Оксана", "Ольга", "Полина", "Светлана", "Софья", "Татьяна",
    "Юлия",
)  # fmt: skip
PATRONYMICS = (
    ("Александрович", "Александровна"), ("Алексеевич", "Алексеевна"), ("Андреевич", "Андреевна"),
    ("Анатольевич", "Анатольевна"), ("Борисович", "Борисовна"), ("Валерьевич", "Валерьевна"),
    ("Васильевич", "Васильевна"), ("Викторович", "Викторовна"), ("Владимирович", "Владимировна"),
    ("Геннадьевич", "Геннадьевна"), ("Григорьевич", "Григорьевна"), ("Дмитриевич", "Дмитриевна"),
    ("Евгеньевич", "Евгеньевна"), ("Иванович", "Ивановна"), ("Игоревич", "Игоревна"),
    ("Ильич", "Ильинична"), ("Константинович", "Константиновна"), ("Михайлович", "Михайловна"),
    ("Николаевич", "Николаевна"), ("Олегович", "Олеговна"), ("Павлович", "Павловна"),
    ("Петрович", "Петровна"), ("Романович", "Романовна"), ("Сергеевич", "Сергеевна"),
    ("Юрьевич", "Юрьевна"), ("Фёдорович", "Фёдоровна"),
)  # fmt: skip
SURNAMES = (
    "Иванов", "Петров", "Смирнов", "Кузнецов", "Попов", "Васильев", "Соколов", "Михайлов", "Новиков",
    "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров", "Павлов", "Козлов",
    "Степанов", "Николаев", "Орлов", "Андреев", "Макаров", "Никитин", "Захаров", "Зайцев", "Соловьёв",
    "Борисов", "Яковлев", "Григорьев", "Романов", "Воробьёв", "Сергеев", "Фролов", "Александров",
    "Дмитриев", "Королёв", "Гусев", "Киселёв", "Ильин", "Максимов", "Поляков", "Сорокин", "Виноградов",
    "Ковалёв", "Белов", "Медведев", "Антонов", "Тарасов", "Жуков", "Баранов", "Филиппов", "Комаров",
    "Давыдов", "Беляев", "Герасимов", "Богданов", "Осипов", "Сидоров", "Матвеев", "Титов", "Марков",
    "Миронов", "Крылов", "Куликов", "Карпов", "Власов", "Мельников", "Денисов", "Гаврилов", "Тихонов",
    "Казаков", "Афанасьев", "Данилов", "Савельев", "Тимофеев", "Фомин", "Чернов", "Абрамов", "Мартынов",
    "Ефимов", "Федотов", "Щербаков", "Назаров", "Калинин", "Исаев", "Быков", "Маслов", "Родионов",
    "Коновалов", "Лазарев", "Воронин", "Климов", "Филатов", "Пономарёв", "Голубев", "Кудрявцев",
    "Прохоров", "Наумов", "Потапов", "Журавлёв", "Овчинников", "Трофимов", "Леонов", "Соболев",
    "Ермаков", "Колесников", "Гончаров", "Емельянов", "Никифоров", "Грачёв", "Котов", "Гришин",
    "Ефремов", "Архипов", "Громов", "Кириллов", "Малышев", "Панов", "Моисеев", "Румянцев", "Акимов",
    "Кондратьев", "Бирюков", "Горбунов", "Хабибуллин", "Сафин", "Гарипов", "Валиев", "Коваленко",
    "Шевченко", "Бондаренко", "Ткаченко", "Вишневский", "Покровский", "Белецкий", "Цой", "Ким",
)  # fmt: skip

PRODUCT_GROUPS = (
    "арматура и металлопрокат",
    "цемент и сухие смеси",
    "кровельные материалы",
    "теплоизоляция",
    "трубы и фитинги",
    "крепёж и метизы",
    "кабель и электротехника",
    "лакокрасочные материалы",
    "инструмент и СИЗ",
    "бетон и ЖБИ",
    "фасадные системы",
    "гидроизоляция",
    "сантехника",
    "отопительное оборудование",
    "запорная арматура",
)

# name, website, strengths, weaknesses
COMPETITORS = (
    (
        "МегаСнаб",
        "megasnab.example",
        "Склады в 12 городах, широкий ассортимент",
        "Долгая отгрузка, жёсткая предоплата",
    ),
    (
        "СтройДвор Опт",
        "stroydvor-opt.example",
        "Низкие цены на сухие смеси",
        "Нет доставки на объект",
    ),
    (
        "УралКомплект",
        "uralkomplekt.example",
        "Сильны в металлопрокате на Урале",
        "Мало инженерной поддержки",
    ),
    (
        "ТД «Базис»",
        "bazis-td.example",
        "Гибкие отсрочки, дружба с прорабами",
        "Перебои с наличием",
    ),
    (
        "Восток-Снабжение",
        "vostok-snab.example",
        "Логистика по Сибири и Дальнему Востоку",
        "Высокие цены в центре",
    ),
    (
        "Интерстрой Дистрибуция",
        "interstroy.example",
        "Эксклюзив на импортную изоляцию",
        "Узкий ассортимент",
    ),
    (
        "ПромЛидер",
        "promlider.example",
        "Тендерный отдел, работают по 44-ФЗ",
        "Слабый сервис после сделки",
    ),
    (
        "Металл-Профи",
        "metall-profi.example",
        "Резка и гибка металла в размер",
        "Только металл",
    ),
    (
        "СибСтройТорг",
        "sibstroytorg.example",
        "Цены ниже рынка на 5–7 %",
        "Качество партий нестабильно",
    ),
    (
        "Гранит-М",
        "granit-m.example",
        "Нерудные материалы и бетон с собственных заводов",
        "Только Московский регион",
    ),
)
COMPETITOR_NAMES = [c[0] for c in COMPETITORS]
PRICE_LEVELS = (
    "ниже нашей на 3–5 %",
    "на уровне нашей",
    "выше нашей на 5 %",
    "ниже на 10 % (демпинг)",
    "по тендеру",
)

TAGS = (
    "сеть",
    "госзаказ",
    "федеральный",
    "экспорт",
    "тендеры",
    "новостройки",
    "дорожное строительство",
    "предоплата",
    "самовывоз",
)

PRIVATE_NOTES = (
    "Предпочитает встречи утром, до 10:00.",
    "Увлекается рыбалкой; летом по пятницам не на связи.",
    "Болеет за «Зенит», о футболе может говорить часами.",
    "Ценит пунктуальность: однажды встречу отменили из-за нашего опоздания на 10 минут.",
    "Не любит длинных презентаций — только цифры на одной странице.",
    "Претензия по срокам поставки в прошлом квартале — об этом помнят.",
    "Отвечает в мессенджере быстрее, чем по почте.",
    "Через год уходит на пенсию; преемник — заместитель.",
    "День рождения в марте; поздравлять открыткой, без подарков.",
    "Бегает марафоны, зовёт на корпоративные забеги.",
    "Бывший сотрудник конкурента, сравнивает каждое наше предложение.",
    "Познакомились на выставке; личный интерес в успехе проекта.",
    "Дети учатся в Англии; в августе в отпуске.",
    "Без согласования с финансовым директором ничего не обещает.",
)
TEAM_ROLES = ("второй менеджер", "технический специалист", "сопровождение тендеров")
LATIN = (
    "a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r", "s", "t",
    "u", "f", "kh", "ts", "ch", "sh", "shch", "-", "y", "-", "e", "yu", "ya",
)  # fmt: skip
TRANSLIT = str.maketrans(
    {
        ch: ("" if latin == "-" else latin)
        for ch, latin in zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя", LATIN, strict=True)
    }
)
NOT_SLUG = re.compile(r"[^a-z0-9]")

# --------------------------------------------------------------------------------------------------
# The plan
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonSpec:
    login: str
    role: str
    first_name: str
    last_name: str
    department: int | None = None  # index into DEPARTMENTS
    is_staff: bool = False
    senior: bool = False


@dataclass(frozen=True)
class DeputySpec:
    absent: str
    deputy: str
    starts_on: date
    ends_on: date
    reason: str
    created_by: str


@dataclass(slots=True)
class StakeholderSpec:
    full_name: str
    position: str
    decision_role: str
    influence: int
    attitude: str
    email: str = ""
    phone: str = ""
    private_notes: str = ""
    last_contact_on: date | None = None


@dataclass(slots=True)
class ClientSpec:
    short_name: str
    legal_name: str
    country: str
    tax_number: str
    industry: str
    region: str
    kind: str  # company, public, sole_trader, foreign
    department: int
    status: str = "active"
    segment: str = "medium"
    owner: str = ""
    purchases: int = 0  # intended annual purchases from us, RUB (0 for prospects)
    category_budget: int = 0  # the client's annual budget for our category, RUB
    price_column: int = 1
    payment_terms_days: int = 30
    credit_limit: int = 0
    tags: tuple[str, ...] = ()
    team: tuple[tuple[str, str], ...] = ()
    is_reference: bool = False
    is_partner: bool = False
    is_competent: bool = False
    is_innovator: bool = False
    since: int = 0  # year the relationship began
    city: str = ""
    domain: str = ""
    history: str = ""
    needs: str = ""
    plans: str = ""
    decision_process: str = ""
    stakeholders: list[StakeholderSpec] = field(default_factory=list)
    relationships: list[tuple[int, int, str]] = field(default_factory=list)  # indices into stakeholders
    financials: list[tuple[int, int, int | None, int | None]] = field(default_factory=list)
    competitors: list[tuple[str, str, Decimal, str]] = field(default_factory=list)


@dataclass
class DemoPlan:
    seed: int
    today: date
    departments: tuple[str, ...]
    people: list[PersonSpec]
    deputies: list[DeputySpec]
    competitors: tuple[tuple[str, str, str, str], ...]
    clients: list[ClientSpec]

    def weights(self) -> list[int]:
        """Annual purchases of every client that buys (prospects excluded), in plan order."""
        return [c.purchases for c in self.clients if c.purchases > 0]


@dataclass
class DemoResult:
    weights: dict[int, int]  # client id -> intended annual purchases, RUB
    counts: dict[str, int]


def demo_logins() -> list[str]:
    return [p.login for p in _roster(random.Random(0))]


def all_demo_logins() -> list[str]:
    """The demo logins and the extra KAMs `--kams` may have added (kam13 … kam1000)."""
    return demo_logins() + [f"kam{n}" for n in range(DEFAULT_KAMS + 1, MAX_KAMS + 1)]


class _Rng(random.Random):
    """random.Random with a cheaper choice() and randint(): one random() each. Seeded, so repeatable."""

    def choice(self, seq: Sequence[Any]) -> Any:  # type: ignore[override]
        return seq[int(self.random() * len(seq))]

    def randint(self, a: int, b: int) -> int:
        return a + int(self.random() * (b - a + 1))


def plan_company(
    *, seed: int = DEFAULT_SEED, clients: int = DEFAULT_CLIENTS, today: date, kams: int = DEFAULT_KAMS
) -> DemoPlan:
    """The whole demo company as plain data; the same seed and size give the same company."""
    if clients < MIN_CLIENTS:
        raise ValueError(f"the demo needs at least {MIN_CLIENTS} clients")
    if not DEFAULT_KAMS <= kams <= MAX_KAMS:
        raise ValueError(f"the demo has {DEFAULT_KAMS} to {MAX_KAMS} KAMs")
    people = _roster(_Rng(f"{seed}:people"), kams=kams)
    specs = _clients(_Rng(f"{seed}:clients"), clients, today)
    _assign_owners(_Rng(f"{seed}:owners"), specs, people)
    dossier_rng = _Rng(f"{seed}:dossiers")
    deep = min(len(specs), DEEP_DOSSIERS, max(10, math.ceil(len(specs) * 0.15)))
    by_size = sorted(range(len(specs)), key=lambda i: (-specs[i].category_budget, i))
    deep_set = set(by_size[:deep])
    for i, spec in enumerate(specs):
        _dossier(dossier_rng, spec, today, deep=i in deep_set)
    return DemoPlan(
        seed=seed,
        today=today,
        departments=DEPARTMENTS,
        people=people,
        deputies=_deputies(today),
        competitors=COMPETITORS,
        clients=specs,
    )


# ---- people ---------------------------------------------------------------------------------------


def _female(surname: str) -> str:
    if surname.endswith(("ов", "ев", "ёв", "ин", "ын")):
        return surname + "а"
    if surname.endswith(("ский", "цкий")):
        return surname[:-2] + "ая"
    return surname


def _person(rng: random.Random) -> tuple[str, str, str, bool]:
    """(first name, patronymic, surname, is_female)"""
    female = rng.random() < 0.4
    surname = rng.choice(SURNAMES)
    if female:
        return rng.choice(FEMALE_FIRST), rng.choice(PATRONYMICS)[1], _female(surname), True
    return rng.choice(MALE_FIRST), rng.choice(PATRONYMICS)[0], surname, False


def _roster(rng: random.Random, *, kams: int = DEFAULT_KAMS) -> list[PersonSpec]:
    taken: set[tuple[str, str]] = set()

    def person(login: str, role: str, department: int | None = None, **extra: Any) -> PersonSpec:
        while True:
            first, _patronymic, last, _is_female = _person(rng)
            if (first, last) not in taken:
                taken.add((first, last))
                return PersonSpec(login, role, first, last, department, **extra)

    people = [person("director", "director")]
    people += [person(f"head{d + 1}", "head", d) for d in range(len(DEPARTMENTS))]
    kam_departments = [MOSCOW] * 5 + [REGIONS] * 4 + [PUBLIC] * 3
    seniors = {"kam1", "kam2", "kam6", "kam10"}
    for number, department in enumerate(kam_departments, start=1):
        login = f"kam{number}"
        people.append(person(login, "kam", department, senior=login in seniors))
    people += [person(f"support{i}", "support") for i in (1, 2)]
    people += [person(f"finance{i}", "finance") for i in (1, 2)]
    people.append(person("admin", "none", is_staff=True))
    # Extra KAMs come last, so the default company (12 KAMs) stays the same for the same seed.
    for number in range(DEFAULT_KAMS + 1, kams + 1):
        people.append(person(f"kam{number}", "kam", kam_departments[number % DEFAULT_KAMS]))
    return people


def _deputies(today: date) -> list[DeputySpec]:
    return [
        DeputySpec("kam1", "kam2", today - timedelta(days=2), today + timedelta(days=5), "Отпуск", "head1"),
        DeputySpec("kam6", "kam7", today + timedelta(days=14), today + timedelta(days=27), "Отпуск", "head2"),
        DeputySpec(
            "kam10", "kam11", today - timedelta(days=45), today - timedelta(days=38), "Больничный", "head3"
        ),
    ]


# ---- clients --------------------------------------------------------------------------------------


class _Weighted:
    """A weighted choice with its cumulative weights computed once (rng.choices does it on every call)."""

    def __init__(self, pairs: Sequence[tuple[Any, int]]) -> None:
        self.items = [item for item, _weight in pairs]
        self.cumulative = list(accumulate(weight for _item, weight in pairs))
        self.total = self.cumulative[-1]

    def pick(self, rng: random.Random) -> Any:
        return self.items[bisect_right(self.cumulative, rng.random() * self.total)]


ANY_REGION = _Weighted([(r, r.weight) for r in REGION_LIST])
REGION_OUTSIDE_MOSCOW = _Weighted([(r, r.weight) for r in REGION_LIST if r.name not in MOSCOW_REGIONS])
COMPANY_FORM = _Weighted(COMPANY_FORMS)
COMPANY_INDUSTRY = _Weighted(COMPANY_INDUSTRIES)
STATUS = _Weighted((("active", 79), ("prospect", 7), ("dormant", 8), ("lost", 6)))
COMPETITORS_AT_CLIENT = _Weighted(((0, 15), (1, 35), (2, 35), (3, 15)))


INN10_WEIGHTS = (2, 4, 10, 3, 5, 9, 4, 6, 8)
INN12_WEIGHTS_1 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
INN12_WEIGHTS_2 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def _check_digit(digits: str, weights: Sequence[int]) -> str:
    """The INN check digit: Σ weight × digit, mod 11, mod 10."""
    return str(sum(w * int(d) for w, d in zip(weights, digits, strict=True)) % 11 % 10)


def inn_company(rng: random.Random, region_code: int, taken: set[str]) -> str:
    """A fresh, valid 10-digit INN of an organisation registered in the region."""
    while True:
        body = f"{region_code:02d}{rng.randint(1, 51):02d}{rng.randint(0, 99999):05d}"
        number = body + _check_digit(body, INN10_WEIGHTS)
        if number not in taken:
            if not inn.is_valid(number):  # pragma: no cover - the same algorithm as stdnum's
                raise AssertionError(number)
            taken.add(number)
            return number


def inn_person(rng: random.Random, region_code: int, taken: set[str]) -> str:
    """A fresh, valid 12-digit INN of an individual entrepreneur."""
    while True:
        body = f"{region_code:02d}{rng.randint(1, 51):02d}{rng.randint(0, 999999):06d}"
        first = _check_digit(body, INN12_WEIGHTS_1)
        number = body + first + _check_digit(body + first, INN12_WEIGHTS_2)
        if number not in taken:
            if not inn.is_valid(number):  # pragma: no cover
                raise AssertionError(number)
            taken.add(number)
            return number


def _unp(rng: random.Random, taken: set[str]) -> str:
    """A Belarusian taxpayer number (УНП) with a correct check digit."""
    while True:
        body = f"{rng.choice('1234567')}{rng.randint(0, 9_999_999):07d}"
        try:
            number = body + unp.calc_check_digit(body)
        except unp.InvalidChecksum:
            continue
        if number not in taken and unp.is_valid(number):
            taken.add(number)
            return number


def _kz_bin(rng: random.Random, taken: set[str]) -> str:
    """A Kazakh business identification number (БИН) with its check digit."""
    while True:
        body = (
            f"{rng.randint(0, 24):02d}{rng.randint(1, 12):02d}4{rng.randint(0, 2)}{rng.randint(0, 99999):05d}"
        )
        check = sum(int(d) * w for d, w in zip(body, range(1, 12), strict=True)) % 11
        if check == 10:
            check = (
                sum(int(d) * w for d, w in zip(body, (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2), strict=True)) % 11
            )
        if check == 10:
            continue
        number = body + str(check)
        if number not in taken:
            taken.add(number)
            return number


def _company_name(rng: random.Random) -> str:
    style = rng.random()
    if style < 0.3:
        return rng.choice(NAME_ROOT) + rng.choice(NAME_TAIL).lower()  # Стройресурс
    if style < 0.45:
        return rng.choice(NAME_GEO) + rng.choice(NAME_TAIL).lower()  # Уралснаб
    if style < 0.75:
        return rng.choice(NAME_GEO) + rng.choice(NAME_ROOT) + rng.choice(NAME_TAIL)  # СеверТехСнаб
    if style < 0.9:
        return f"{rng.choice(NAME_GEO)}{rng.choice(NAME_ROOT)} {rng.choice(NAME_WORD)}"  # ЮгСтрой Холдинг
    return f"{rng.choice(NAME_QUALITY)}-{rng.choice(NAME_ROOT).lower()}"  # Вектор-строй


def _unique(name: str, taken: dict[str, int]) -> str:
    """The name, or a twin of it (Стройресурс Плюс, Стройресурс-2…) when it is taken already."""
    tried = taken.get(name)
    if tried is None:
        taken[name] = 0
        return name
    while True:
        tried += 1
        taken[name] = tried
        twin = NAME_TWINS[tried - 1] if tried <= len(NAME_TWINS) else f"-{tried - len(NAME_TWINS) + 1}"
        candidate = name[:-1] + twin + "»" if name.endswith("»") else name + twin
        if candidate not in taken:
            taken[candidate] = 0
            return candidate


def _legal(short: str) -> str:
    form, _space, rest = short.partition(" ")
    return f"{LEGAL_FORMS[form]} {rest}" if form in LEGAL_FORMS else short


def _slug(text: str) -> str:
    """Latin letters and digits only: «Север-Снаб» → severSnab → seversnab."""
    return NOT_SLUG.sub("", text.lower().translate(TRANSLIT))


def _rub(amount: float, digits: int) -> int:
    return int(round(amount, digits))


def _critical_share(rng: random.Random) -> float:
    return rng.uniform(0.185, 0.205)


def _sizes(rng: random.Random, specs: list[ClientSpec], n_big: int) -> None:
    """Heavy-tailed annual purchases: one client near critical dependence, a few above 5 %, a long tail.

    specs[0] is the critical client, specs[1 : 1 + n_big] the big ones; prospects buy nothing.
    """
    total = AVERAGE_PURCHASES_RUB * len(specs)
    critical = _critical_share(rng)
    big = [rng.uniform(0.055, 0.095) for _ in range(n_big)]
    rest_share = 1.0 - critical - sum(big)
    tail = list(range(1 + n_big, len(specs)))
    raw = []
    for i in tail:
        factor = {"sole_trader": 0.25, "public": 1.5}.get(specs[i].kind, 1.0)
        raw.append(rng.lognormvariate(0.0, 1.3) * factor)
    buying = [i for i in tail if specs[i].status != "prospect"]
    buying_raw = [r for i, r in zip(tail, raw, strict=True) if specs[i].status != "prospect"]
    # Water-fill the tail under a cap, so no tail client comes near the big ones.
    cap = 0.8 * min(big) if big else 0.04
    scale = rest_share / sum(buying_raw)
    values = [r * scale for r in buying_raw]
    for _ in range(60):
        over = [v >= cap for v in values]
        if not any(v > cap for v in values):
            break
        fixed = cap * sum(over)
        free = sum(v for v, o in zip(values, over, strict=True) if not o)
        if free <= 0:
            break
        factor = (rest_share - fixed) / free
        values = [cap if o else v * factor for v, o in zip(values, over, strict=True)]
    share_of = dict(zip(buying, values, strict=True))
    specs[0].purchases = _rub(total * critical, -3)
    specs[0].category_budget = _rub(specs[0].purchases * rng.uniform(1.9, 2.2), -4)
    for i, share in zip(range(1, 1 + n_big), big, strict=True):
        specs[i].purchases = _rub(total * share, -3)
        specs[i].category_budget = _rub(specs[i].purchases * rng.uniform(1.5, 2.7), -4)
    for i, r in zip(tail, raw, strict=True):
        spec = specs[i]
        intended = total * share_of[i] if i in share_of else total * r * scale
        intended = max(20_000, _rub(intended, -3))
        spec.purchases = 0 if spec.status == "prospect" else intended
        spec.category_budget = max(50_000, _rub(intended * rng.uniform(1.2, 3.0), -4))


def _clients(rng: random.Random, n: int, today: date) -> list[ClientSpec]:
    names: dict[str, int] = {}
    inns: set[str] = set()
    foreign_numbers: set[str] = set()
    n_big = max(0, min(rng.randint(3, 6), (n - 10) // 4))
    n_public = round(n * 0.12)
    n_sole = max(2, round(n * 0.02))
    n_foreign = max(1, round(n * 0.005))
    n_tail = n - 1 - n_big
    kinds = (
        ["public"] * (n_public - (1 if n_big >= 4 else 0))
        + ["sole_trader"] * n_sole
        + ["foreign"] * n_foreign
    )
    kinds += ["company"] * (n_tail - len(kinds))
    rng.shuffle(kinds)
    by_name = {r.name: r for r in REGION_LIST}

    specs: list[ClientSpec] = []

    def company(short: str, region: Region, industry: str, department: int) -> ClientSpec:
        return ClientSpec(
            short_name=short,
            legal_name=_legal(short),
            country="RU",
            tax_number=inn_company(rng, region.inn_code, inns),
            industry=industry,
            region=region.name,
            kind="company",
            department=department,
            city=rng.choice(region.cities),
        )

    # The client the company depends on, then the few big ones.
    names["АО «ТехноСтрой Холдинг»"] = 0
    specs.append(company("АО «ТехноСтрой Холдинг»", by_name["Москва"], "Жилищное строительство", MOSCOW))
    for b in range(n_big):
        if b == 3:
            region = ANY_REGION.pick(rng)
            directorate = PUBLIC_TEMPLATES[0]
            short = _unique(directorate[0].format(n=rng.randint(1, 9), city=region.cities[0]), names)
            spec = company(short, region, directorate[2], PUBLIC)
            spec.kind = "public"
            specs.append(spec)
            continue
        region = by_name["Москва"] if b in (0, 2) else REGION_OUTSIDE_MOSCOW.pick(rng)
        form = "АО" if rng.random() < 0.5 else "ПАО" if rng.random() < 0.2 else "ООО"
        short = _unique(f"{form} «{_company_name(rng)}»", names)
        industry = rng.choice(("Жилищное строительство", "Промышленное строительство", "Девелопмент",
                               "Нефтегазовая отрасль", "Розничная торговля стройматериалами"))  # fmt: skip
        specs.append(company(short, region, industry, MOSCOW if region.name in MOSCOW_REGIONS else REGIONS))
    for i in range(1 + n_big):
        specs[i].status = "active"
    for kind in kinds:
        if kind == "public":
            region = ANY_REGION.pick(rng)
            template, form, industry = rng.choice(PUBLIC_TEMPLATES)
            city = rng.choice(region.cities)
            short = _unique(template.format(n=rng.randint(1, 250), city=city), names)
            spec = company(short, region, industry, PUBLIC)
            spec.kind, spec.city = "public", city
        elif kind == "sole_trader":
            region = REGION_OUTSIDE_MOSCOW.pick(rng) if rng.random() < 0.7 else ANY_REGION.pick(rng)
            first, patronymic, surname, _is_female = _person(rng)
            short = _unique(f"ИП {surname} {first[0]}. {patronymic[0]}.", names)
            spec = ClientSpec(
                short_name=short,
                legal_name=f"Индивидуальный предприниматель {surname} {first} {patronymic}",
                country="RU",
                tax_number=inn_person(rng, region.inn_code, inns),
                industry=rng.choice(SOLE_TRADER_INDUSTRIES),
                region=region.name,
                kind="sole_trader",
                department=MOSCOW if region.name in MOSCOW_REGIONS else REGIONS,
                city=rng.choice(region.cities),
            )
        elif kind == "foreign":
            country, city, forms = rng.choice(FOREIGN)
            short = _unique(f"{rng.choice(forms)} «{_company_name(rng)}»", names)
            number = _unp(rng, foreign_numbers) if country == "BY" else _kz_bin(rng, foreign_numbers)
            spec = ClientSpec(
                short_name=short,
                legal_name=_legal(short),
                country=country,
                tax_number=number,
                industry=rng.choice(FOREIGN_INDUSTRIES),
                region=city,
                kind="foreign",
                department=REGIONS,
                city=city,
            )
        else:
            region = ANY_REGION.pick(rng)
            form = COMPANY_FORM.pick(rng)
            short = _unique(f"{form} «{_company_name(rng)}»", names)
            industry = COMPANY_INDUSTRY.pick(rng)
            spec = company(short, region, industry, MOSCOW if region.name in MOSCOW_REGIONS else REGIONS)
        spec.status = STATUS.pick(rng)
        specs.append(spec)

    _sizes(rng, specs, n_big)
    for i, spec in enumerate(specs):
        _terms(rng, spec, today, big=i <= n_big)
    _flags(rng, specs)
    return specs


def _terms(rng: random.Random, spec: ClientSpec, today: date, *, big: bool) -> None:
    size = spec.purchases or spec.category_budget // 2
    if spec.kind == "public":
        spec.segment = "public"
    elif size >= 15_000_000 or big:
        spec.segment = "large"
    elif size >= 2_500_000:
        spec.segment = "medium"
    else:
        spec.segment = "small"
    if spec.kind == "foreign":
        terms = rng.choice((0, 0, 30))
    elif spec.kind == "sole_trader":
        terms = rng.choice((0, 0, 7))
    else:
        terms = rng.choice(
            {
                "large": (45, 60, 60, 90),
                "medium": (14, 30, 30, 45),
                "small": (0, 0, 7, 14, 30),
                "public": (15, 30),
            }[spec.segment]
        )
    spec.payment_terms_days = terms
    spec.price_column = {
        "large": rng.choice((4, 5)),
        "medium": rng.choice((2, 3, 3, 4)),
        "small": rng.choice((1, 1, 2)),
        "public": 2,
    }[spec.segment]
    if spec.status in ("active", "dormant") and terms > 0:
        limit = spec.purchases / 12 * terms / 30 * rng.uniform(1.2, 1.6)
        spec.credit_limit = max(50_000, int(round(limit / 50_000) * 50_000))
    spec.since = 0 if spec.status == "prospect" else rng.randint(today.year - 15, today.year - 1)
    tags = set()
    if spec.kind == "public":
        tags |= {"госзаказ", "тендеры"}
    if spec.kind == "foreign":
        tags.add("экспорт")
    if spec.industry == "Розничная торговля стройматериалами" and spec.segment in ("large", "medium"):
        tags.add("сеть")
    if spec.segment == "large" and spec.kind == "company" and rng.random() < 0.5:
        tags.add("федеральный")
    if spec.segment == "large" and spec.kind == "company" and rng.random() < 0.3:
        tags.add("тендеры")
    if spec.industry in ("Жилищное строительство", "Девелопмент") and rng.random() < 0.6:
        tags.add("новостройки")
    if spec.industry in ("Дорожное строительство", "Дорожное хозяйство"):
        tags.add("дорожное строительство")
    if terms == 0 and spec.status != "prospect":
        tags.add("предоплата")
    if spec.segment == "small" and rng.random() < 0.1:
        tags.add("самовывоз")
    spec.tags = tuple(sorted(tags))


def _flags(rng: random.Random, specs: list[ClientSpec]) -> None:
    """A handful of clients key by the other definitions: reference, partner, competent, innovator."""
    critical = specs[0]
    critical.is_reference = critical.is_partner = True
    critical.tags = tuple(sorted({*critical.tags, "федеральный", "новостройки"}))
    large = [s for s in specs[1:] if s.segment == "large" and s.status == "active"]
    medium = [s for s in specs if s.segment == "medium" and s.status == "active"]
    pool = large + medium[:40]
    for attribute, count in (
        ("is_reference", 4),
        ("is_partner", 2),
        ("is_competent", 3),
        ("is_innovator", 3),
    ):
        for spec in rng.sample(pool, min(count, len(pool))):
            setattr(spec, attribute, True)


def _assign_owners(rng: random.Random, specs: list[ClientSpec], people: list[PersonSpec]) -> None:
    kams: dict[int, list[PersonSpec]] = {}
    for p in people:
        if p.role == "kam" and p.department is not None:
            kams.setdefault(p.department, []).append(p)
    regions_team = [p.login for p in kams[REGIONS]]
    for i, spec in enumerate(specs):
        pool = kams[spec.department]
        seniors = [p.login for p in pool if p.senior]
        big = spec.segment == "large" or spec.purchases >= 20_000_000
        if i == 0:
            spec.owner = "kam1"
        elif big and rng.random() < 0.75:
            spec.owner = rng.choice(seniors)
        else:
            spec.owner = rng.choice(pool).login
        team: list[tuple[str, str]] = []
        colleagues = [p.login for p in pool if p.login != spec.owner]
        if i == 0:
            team = [("kam2", "второй менеджер"), ("kam6", "региональные филиалы")]
        elif spec.status != "prospect" and rng.random() < {"large": 0.6, "medium": 0.1}.get(spec.segment, 0):
            team.append((rng.choice(colleagues), rng.choice(TEAM_ROLES)))
            if "федеральный" in spec.tags and spec.department != REGIONS:
                team.append((rng.choice(regions_team), "региональные филиалы"))
        spec.team = tuple(team)


# ---- dossiers -------------------------------------------------------------------------------------

# (position, decision role, influence range, level, preferred boss)
COMPANY_CHART = (
    ("Коммерческий директор", "influencer", (3, 5), 1, ""),
    ("Финансовый директор", "influencer", (3, 5), 1, ""),
    ("Главный инженер", "influencer", (3, 4), 1, ""),
    ("Технический директор", "influencer", (3, 4), 1, ""),
    ("Начальник отдела закупок", "gatekeeper", (2, 4), 1, "Коммерческий директор"),
    ("Руководитель тендерного отдела", "gatekeeper", (2, 3), 1, "Коммерческий директор"),
    ("Главный бухгалтер", "influencer", (2, 3), 2, "Финансовый директор"),
    ("Менеджер по закупкам", "gatekeeper", (1, 3), 2, "Начальник отдела закупок"),
    ("Инженер ПТО", "user", (1, 2), 2, "Главный инженер"),
    ("Начальник участка", "user", (1, 3), 2, "Главный инженер"),
    ("Прораб", "user", (1, 2), 2, "Главный инженер"),
    ("Заведующий складом", "user", (1, 2), 2, "Начальник отдела закупок"),
    ("Помощник генерального директора", "gatekeeper", (2, 3), 2, ""),
    ("Главный технолог", "kol", (3, 4), 2, "Главный инженер"),
)
PUBLIC_CHART = (
    ("Заместитель директора по капитальному строительству", "influencer", (3, 5), 1, ""),
    ("Главный инженер", "influencer", (3, 4), 1, ""),
    ("Контрактный управляющий", "gatekeeper", (2, 4), 1, ""),
    ("Главный бухгалтер", "influencer", (2, 3), 1, ""),
    ("Специалист контрактной службы", "gatekeeper", (1, 2), 2, "Контрактный управляющий"),
    ("Инженер технического надзора", "user", (1, 3), 2, "Главный инженер"),
    ("Начальник хозяйственного отдела", "user", (1, 2), 2, ""),
    ("Ведущий эксперт по строительному контролю", "kol", (3, 4), 2, "Главный инженер"),
)
ATTITUDE = _Weighted((("champion", 10), ("supporter", 35), ("neutral", 40), ("opponent", 15)))
MOBILE_CODES = (
    "903",
    "905",
    "909",
    "910",
    "915",
    "916",
    "917",
    "925",
    "926",
    "960",
    "963",
    "977",
    "985",
    "999",
)


def _mobile(rng: random.Random) -> str:
    return (
        f"+7 ({rng.choice(MOBILE_CODES)}) {rng.randint(100, 999)}-{rng.randint(10, 99)}-{rng.randint(10, 99)}"
    )


def _email(first: str, surname: str, domain: str) -> str:
    return f"{_slug(first)[:1]}.{_slug(surname)}@{domain}"


def _stakeholder(
    rng: random.Random, spec: ClientSpec, position: str, role: str, influence: int, today: date, *, deep: bool
) -> StakeholderSpec:
    first, patronymic, surname, _is_female = _person(rng)
    full_name = f"{surname} {first} {patronymic}" if rng.random() < 0.7 else f"{first} {surname}"
    contacted = rng.random() < (0.9 if deep else 0.6)
    return StakeholderSpec(
        full_name=full_name,
        position=position,
        decision_role=role,
        influence=max(1, min(5, influence)),
        attitude=ATTITUDE.pick(rng) if deep else "neutral",
        email=_email(first, surname, spec.domain),
        phone=_mobile(rng),
        private_notes=rng.choice(PRIVATE_NOTES) if deep and rng.random() < 0.6 else "",
        last_contact_on=today - timedelta(days=rng.randint(0, 120 if deep else 365)) if contacted else None,
    )


def _org_chart(rng: random.Random, spec: ClientSpec, today: date) -> None:
    """2–8 people with a reports-to chain up to the decision maker, and a few other ties between them."""
    if spec.segment == "large":
        size = rng.randint(5, 8)
    elif spec.segment in ("medium", "public"):
        size = rng.randint(3, 6)
    else:
        size = rng.randint(2, 4)
    if "федеральный" in spec.tags:
        size = max(size, 6)
    people: list[StakeholderSpec] = []
    boss_of: dict[int, int] = {}
    chart: Sequence[tuple[str, str, tuple[int, int], int, str]]
    if spec.kind == "public":
        chart, top = PUBLIC_CHART, rng.choice(("Директор", "Руководитель учреждения"))
    elif spec.kind == "sole_trader":
        chart, top = COMPANY_CHART[7:12], "Индивидуальный предприниматель"
    else:
        chart, top = COMPANY_CHART, "Генеральный директор"
    has_owner = spec.kind == "company" and size >= 5 and rng.random() < 0.35
    if has_owner:
        people.append(
            _stakeholder(rng, spec, "Собственник, председатель совета директоров", "vip", 5, today, deep=True)
        )
    people.append(_stakeholder(rng, spec, top, "decision_maker", 5, today, deep=True))
    decision_maker = len(people) - 1
    if spec.kind == "sole_trader":  # the entrepreneur decides
        people[decision_maker].full_name = spec.legal_name.removeprefix(LEGAL_FORMS["ИП"]).strip()
        people[decision_maker].email = f"info@{spec.domain}"
    if has_owner:
        boss_of[decision_maker] = 0
    level1 = [c for c in chart if c[3] == 1]
    level2 = [c for c in chart if c[3] == 2]
    wanted = size - len(people)
    picked = rng.sample(level1, min(len(level1), max(1, (wanted + 1) // 2)))
    picked += rng.sample(level2, min(len(level2), max(0, wanted - len(picked))))
    index_of: dict[str, int] = {}
    for position, role, (low, high), _level, _boss in picked:
        index_of[position] = len(people)
        people.append(_stakeholder(rng, spec, position, role, rng.randint(low, high), today, deep=True))
    for position, _role, _influence, level, boss in picked:
        i = index_of[position]
        if boss and boss in index_of:
            boss_of[i] = index_of[boss]
        elif level == 1 or not index_of:
            boss_of[i] = decision_maker
        else:
            firsts = [index_of[c[0]] for c in picked if c[3] == 1]
            boss_of[i] = rng.choice(firsts) if firsts else decision_maker
    relations = {(i, boss, "reports_to") for i, boss in boss_of.items()}
    others = [i for i in range(len(people)) if i not in (decision_maker, 0 if has_owner else -1)]
    for i in others:
        if people[i].decision_role in ("kol", "influencer") and rng.random() < 0.5:
            relations.add((i, decision_maker, "influences"))
    if len(others) >= 2 and rng.random() < 0.45:
        a, b = rng.sample(others, 2)
        relations.add((a, b, "allied"))
    if len(others) >= 2 and rng.random() < 0.35:
        a, b = rng.sample(others, 2)
        if (a, b, "allied") not in relations and (b, a, "allied") not in relations:
            relations.add((a, b, "rival"))
    spec.stakeholders = people
    spec.relationships = sorted(relations)


def _dossier(rng: random.Random, spec: ClientSpec, today: date, *, deep: bool) -> None:
    core = spec.short_name.partition("«")[2].partition("»")[0] or spec.short_name
    spec.domain = (_slug(core) or "client")[:40] + ".example"
    first = rng.randint(0, len(PRODUCT_GROUPS) - 1)
    second = (first + rng.randint(1, len(PRODUCT_GROUPS) - 1)) % len(PRODUCT_GROUPS)
    groups = [PRODUCT_GROUPS[first], PRODUCT_GROUPS[second]]
    competitor_names = COMPETITOR_NAMES
    if spec.status == "prospect":
        spec.history = rng.choice(
            (
                "Потенциальный клиент: познакомились на выставке «Строительная неделя».",
                "Потенциальный клиент: пришёл по рекомендации действующего клиента.",
                "Потенциальный клиент: запросил прайс через сайт, был один звонок.",
            )
        )
    else:
        line = f"Клиент с {spec.since} года. Начинали с разовых поставок ({groups[0]})."
        if spec.status == "lost":
            line += f" Ушёл к «{rng.choice(competitor_names)}» в {today.year - 1} году из-за цены."
        elif spec.status == "dormant":
            line += f" Не покупает с {rng.choice(('весны', 'лета', 'осени'))} {today.year - 1} года."
        spec.history = line
    spec.needs = f"Основные группы: {groups[0]}, {groups[1]}."
    if not deep:
        if rng.random() < 0.6:
            title, role = (
                ("Индивидуальный предприниматель", "decision_maker")
                if spec.kind == "sole_trader"
                else ("Менеджер по закупкам", "gatekeeper")
            )
            spec.stakeholders.append(_stakeholder(rng, spec, title, role, 2, today, deep=False))
            if spec.kind == "sole_trader":
                spec.stakeholders[0].full_name = spec.legal_name.removeprefix(LEGAL_FORMS["ИП"]).strip()
                spec.stakeholders[0].email = f"info@{spec.domain}"
            if spec.kind != "sole_trader" and rng.random() < 0.3:
                spec.stakeholders.append(
                    _stakeholder(rng, spec, "Главный бухгалтер", "influencer", 2, today, deep=False)
                )
        return

    if spec.status != "prospect":
        spec.history += " " + rng.choice(
            (
                f"С {min(today.year - 1, spec.since + 2)} года работаем по рамочному договору.",
                f"В {today.year - 2} году был конфликт из-за срыва сроков поставки; "
                "урегулирован скидкой 3 %.",
                f"Перешли к нам от «{rng.choice(competitor_names)}» после проблем с качеством.",
                "Выиграли их годовой тендер на поставку, продлевают каждый год.",
            )
        )
    spec.needs += " " + " ".join(
        rng.sample(
            (
                "Поставка на объект к 7:00, разгрузка манипулятором.",
                f"Отсрочка платежа не менее {max(spec.payment_terms_days, 30)} дней.",
                "Сертификаты и паспорта качества на каждую партию.",
                "Один поставщик на все объекты в регионе.",
                f"Также нужны {rng.choice(PRODUCT_GROUPS)}, сейчас покупают у конкурентов.",
                "Резерв складского запаса под график строительства.",
                "Электронный документооборот (ЭДО), счета в день заказа.",
            ),
            3,
        )
    )
    if spec.kind == "public":
        spec.plans = rng.choice(
            (
                f"Программа капитального ремонта {today.year}–{today.year + 2} гг.: кровли и фасады.",
                f"Модернизация котельных и тепловых сетей до {today.year + 2} года.",
                f"Ремонт дорог и дворовых территорий, лимиты на {today.year + 1} год утверждены.",
            )
        )
        spec.decision_process = (
            "Закупки по 44-ФЗ: электронный аукцион, решает цена. Техническое задание пишет главный "
            "инженер — влиять можно только на этапе ТЗ. Контракт подписывает директор; "
            "оплата в течение 7 рабочих дней после приёмки."
        )
    else:
        spec.plans = rng.choice(
            (
                f"В {today.year + 1} году — старт строительства ЖК "
                f"на {rng.randint(2, 6)} корпуса в г. {spec.city}.",
                f"Открытие {rng.randint(2, 8)} новых магазинов до конца {today.year + 1} года.",
                "Расширение производства: новый цех металлоконструкций.",
                "Выход в соседние регионы, ищут поставщика с собственной логистикой.",
                f"Переход на единого поставщика по группе «{groups[0]}» с {today.year + 1} года.",
            )
        )
        spec.decision_process = rng.choice(
            (
                "Потребность формирует ПТО, согласует главный инженер. Поставщика на год выбирает "
                "тендерный комитет; закупки до 1 млн руб. — отдел закупок сам, "
                "свыше — коммерческий директор.",
                "Решение принимает собственник лично; отдел закупок готовит сравнение трёх предложений.",
                "Рамочный договор утверждает генеральный директор; текущие заказы — начальник отдела "
                "закупок в пределах лимита. Финансовый директор контролирует отсрочки.",
            )
        )
    _org_chart(rng, spec, today)
    if spec.kind in ("company", "foreign"):
        years = 3 if spec.segment == "large" else 2
        revenue = spec.category_budget * rng.uniform(8, 40)
        for year in range(today.year - 1, today.year - 1 - years, -1):
            margin = rng.uniform(-0.03, 0.12)
            employees = max(5, int(revenue / rng.uniform(6_000_000, 15_000_000)))
            spec.financials.append((year, _rub(revenue, -3), _rub(revenue * margin, -3), employees))
            revenue /= rng.uniform(0.9, 1.25)  # the year before
    elif spec.kind == "public":
        for year in range(today.year - 1, today.year - 3, -1):
            spec.financials.append((year, _rub(spec.category_budget * rng.uniform(5, 15), -3), None, None))
    ours = (
        Decimal(100 * spec.purchases) / Decimal(spec.category_budget) if spec.category_budget else Decimal(0)
    )
    count = COMPETITORS_AT_CLIENT.pick(rng)
    if count:
        room = (Decimal(100) - ours) * Decimal(str(round(rng.uniform(0.4, 0.95), 4)))
        cuts = sorted(rng.random() for _ in range(count - 1))
        parts = [b - a for a, b in zip([0.0, *cuts], [*cuts, 1.0], strict=True)]
        for competitor, part in zip(rng.sample(competitor_names, count), parts, strict=True):
            share = (room * Decimal(str(round(part, 4)))).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
            supplies = ", ".join(rng.sample(PRODUCT_GROUPS, rng.randint(1, 2)))
            if share >= 1:  # the shares add up to less than what the client buys elsewhere
                spec.competitors.append((competitor, supplies, share, rng.choice(PRICE_LEVELS)))


# --------------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------------


def _chunks(items: Sequence[ClientSpec], size: int) -> Iterator[Sequence[ClientSpec]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def has_business_data() -> bool:
    from kam.access.models import Department, User
    from kam.clients.models import Client

    return (
        Client.objects.exists()
        or Department.objects.exists()
        or User.objects.filter(username__in=all_demo_logins()).exists()
    )


class _Table:
    """Fast inserts into one model's table: `executemany` with the ids assigned here.

    Values must be what the database driver takes (str, int, bool, Decimal, date, None); fields a row
    leaves out get the model field's default, auto_now fields the time of the run. No save(), no signals.
    """

    def __init__(self, model: type[Any], now: datetime) -> None:
        from django.db import connection

        self.connection = connection
        meta = model._meta
        self.model = model
        self.pk = meta.pk.attname
        self.attnames = [f.attname for f in meta.concrete_fields]
        self.defaults: dict[str, Any] = {}
        for f in meta.concrete_fields:
            if f.primary_key:
                continue
            value = (
                now if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False) else f.get_default()
            )
            self.defaults[f.attname] = f.get_db_prep_save(value, connection)
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in meta.concrete_fields)
        marks = ", ".join(["%s"] * len(self.attnames))
        self.sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({marks})"
        self.copy_sql = f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN"
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT MAX({quote(meta.pk.column)}) FROM {quote(meta.db_table)}")
            self.next_id = (cursor.fetchone()[0] or 0) + 1
        self.count = 0

    def insert(self, rows: Sequence[dict[str, Any]]) -> list[int]:
        ids = list(range(self.next_id, self.next_id + len(rows)))
        self.next_id += len(rows)
        defaults, attnames, pk = self.defaults, self.attnames, self.pk
        params = []
        for row_id, row in zip(ids, rows, strict=True):
            values = {**defaults, **row, pk: row_id}
            params.append(tuple(values[name] for name in attnames))
        with self.connection.cursor() as cursor:
            if self.connection.vendor == "postgresql":  # COPY: several times faster than executemany
                with cursor.cursor.copy(self.copy_sql) as copy:
                    for row_values in params:
                        copy.write_row(row_values)
            else:
                for start in range(0, len(params), 5000):
                    cursor.executemany(self.sql, params[start : start + 5000])
        self.count += len(rows)
        return ids


def write_company(plan: DemoPlan, *, log: Log = lambda _line: None) -> DemoResult:
    """Write the plan; the caller holds the transaction. Returns {client id: annual purchases, RUB}."""
    from django.contrib.auth.hashers import make_password
    from django.core.management.color import no_style
    from django.db import connection
    from django.utils import timezone

    from kam.access import policy
    from kam.access.models import Department, Deputy, User
    from kam.clients.models import (
        Client,
        ClientCompetitor,
        Competitor,
        FinancialIndicator,
        Relationship,
        Stakeholder,
        Tag,
        TeamMember,
    )

    started = time.monotonic()
    departments = Department.objects.bulk_create([Department(name=name) for name in plan.departments])
    password = make_password(DEMO_PASSWORD)  # hashed once: the same demo password for every login
    users = User.objects.bulk_create(
        [
            User(
                username=p.login,
                password=password,
                first_name=p.first_name,
                last_name=p.last_name,
                email=f"{p.login}@kam-demo.example",
                role=p.role,
                department=departments[p.department] if p.department is not None else None,
                is_staff=p.is_staff,
            )
            for p in plan.people
        ]
    )
    user_id = {u.username: u.pk for u in users}
    for number, department in enumerate(departments, start=1):
        department.head_id = user_id[f"head{number}"]
    Department.objects.bulk_update(departments, ["head"])
    Deputy.objects.bulk_create(
        [
            Deputy(
                absent_id=user_id[d.absent],
                deputy_id=user_id[d.deputy],
                starts_on=d.starts_on,
                ends_on=d.ends_on,
                reason=d.reason,
                created_by_id=user_id[d.created_by],
            )
            for d in plan.deputies
        ]
    )
    policy.forget_deputyships()  # bulk_create sends no post_save
    log(f"people: {len(users)} logins, {len(departments)} departments, {len(plan.deputies)} deputies")

    tag_id = {t.name: t.pk for t in Tag.objects.bulk_create([Tag(name=name) for name in TAGS])}
    competitor_id = {
        c.name: c.pk
        for c in Competitor.objects.bulk_create(
            [Competitor(name=n, website=w, strengths=s, weaknesses=k) for n, w, s, k in plan.competitors]
        )
    }
    now = timezone.now()
    tables = {
        name: _Table(model, now)
        for name, model in (
            ("clients", Client),
            ("tags", Client.tags.through),
            ("team", TeamMember),
            ("stakeholders", Stakeholder),
            ("relationships", Relationship),
            ("financials", FinancialIndicator),
            ("competitors", ClientCompetitor),
        )
    }
    department_id = [d.pk for d in departments]
    weights: dict[int, int] = {}
    total = len(plan.clients)
    for chunk in _chunks(plan.clients, WRITE_CHUNK):
        client_ids = tables["clients"].insert(
            [
                {
                    "legal_name": s.legal_name,
                    "short_name": s.short_name,
                    "search_name": f"{s.short_name} {s.legal_name}".upper(),  # Client.save() is bypassed
                    "country": s.country,
                    "tax_number": s.tax_number,
                    "industry": s.industry,
                    "region": s.region,
                    "segment": s.segment,
                    "status": s.status,
                    "owner_id": user_id[s.owner],
                    "department_id": department_id[s.department],
                    "price_column": s.price_column,
                    "payment_terms_days": s.payment_terms_days,
                    "credit_limit": Decimal(s.credit_limit),
                    "history": s.history,
                    "needs": s.needs,
                    "plans": s.plans,
                    "decision_process": s.decision_process,
                    "category_budget": Decimal(s.category_budget),
                    "is_reference": s.is_reference,
                    "is_partner": s.is_partner,
                    "is_competent": s.is_competent,
                    "is_innovator": s.is_innovator,
                }
                for s in chunk
            ]
        )
        tags, team, people, financials, presences = [], [], [], [], []
        for client_id, s in zip(client_ids, chunk, strict=True):
            if s.purchases > 0:
                weights[client_id] = s.purchases
            tags += [{"client_id": client_id, "tag_id": tag_id[t]} for t in s.tags]
            team += [{"client_id": client_id, "user_id": user_id[u], "role": role} for u, role in s.team]
            people += [
                {
                    "client_id": client_id,
                    "full_name": p.full_name,
                    "position": p.position,
                    "decision_role": p.decision_role,
                    "influence": p.influence,
                    "attitude": p.attitude,
                    "email": p.email,
                    "phone": p.phone,
                    "private_notes": p.private_notes,
                    "last_contact_on": p.last_contact_on,
                }
                for p in s.stakeholders
            ]
            financials += [
                {
                    "client_id": client_id,
                    "year": year,
                    "revenue": Decimal(revenue),
                    "profit": None if profit is None else Decimal(profit),
                    "employees": employees,
                }
                for year, revenue, profit, employees in s.financials
            ]
            presences += [
                {
                    "client_id": client_id,
                    "competitor_id": competitor_id[name],
                    "supplies": supplies,
                    "estimated_share": share,
                    "price_level": price,
                }
                for name, supplies, share, price in s.competitors
            ]
        people_ids = tables["stakeholders"].insert(people)
        relationships = []
        position = 0
        for client_id, s in zip(client_ids, chunk, strict=True):
            ids = people_ids[position : position + len(s.stakeholders)]
            position += len(s.stakeholders)
            relationships += [
                {"client_id": client_id, "source_id": ids[a], "target_id": ids[b], "kind": kind}
                for a, b, kind in s.relationships
            ]
        tables["tags"].insert(tags)
        tables["team"].insert(team)
        tables["relationships"].insert(relationships)
        tables["financials"].insert(financials)
        tables["competitors"].insert(presences)
        log(f"clients {tables['clients'].count}/{total} ({time.monotonic() - started:.1f} s)")
    # Ids were given here: move PostgreSQL's sequences past them (SQLite follows by itself).
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), [t.model for t in tables.values()]):
            cursor.execute(statement)
    counts = {name: table.count for name, table in tables.items()}
    counts.update(users=len(users), departments=len(departments), deputies=len(plan.deputies))
    log(
        f"dossiers: {counts['stakeholders']} stakeholders, {counts['relationships']} relationships, "
        f"{counts['financials']} yearly indicators, {counts['competitors']} competitor presences, "
        f"{counts['team']} account-team members, {counts['tags']} tags on clients"
    )
    return DemoResult(weights=weights, counts=counts)


def _business_models() -> list[type[Any]]:
    """Every table of the kam apps except people, their tokens and settings, leaves first."""
    from django.apps import apps

    from kam.access.models import ApiToken, User

    kept = {User, ApiToken, User.groups.through, User.user_permissions.through}
    chosen = [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.app_config is not None
        and m._meta.app_config.name.startswith("kam.")
        and m not in kept
        and not m._meta.proxy
        and not (m._meta.object_name or "").endswith(("Config", "Settings"))
    ]
    ordered: list[type[Any]] = []
    remaining = list(chosen)
    while remaining:
        # A model goes once no remaining model points at it.
        for m in remaining:
            pointed = any(
                f.related_model is m
                for other in remaining
                if other is not m
                for f in other._meta.concrete_fields
                if f.is_relation
            )
            if not pointed:
                break
        else:  # a cycle: foreign keys are checked at commit, so any order works
            m = remaining[0]
        ordered.append(m)
        remaining.remove(m)
    return ordered


def delete_business_data(*, log: Log = lambda _line: None) -> dict[str, int]:
    """Empty the business tables and remove the demo logins; the caller holds the transaction.

    Kept: users who are not demo logins (moved out of their departments), API tokens of those users,
    settings (models named …Config/…Settings) and the audit log. One DELETE per table: no signals,
    no per-row audit entries.
    """
    from auditlog.context import disable_auditlog

    from kam.access.models import User

    deleted: dict[str, int] = {}
    User.objects.exclude(department=None).update(department=None)
    for model in _business_models():
        queryset = model._base_manager.all()
        count = queryset._raw_delete(queryset.db)
        if count:
            deleted[model._meta.label] = count
    with disable_auditlog():
        count, _by_model = User.objects.filter(username__in=all_demo_logins()).delete()
    if count:
        deleted["access.User"] = count
    from kam.access import policy

    policy.forget_deputyships()  # the raw deletes send no post_delete
    log("deleted: " + (", ".join(f"{label} {n}" for label, n in deleted.items()) or "nothing"))
    return deleted


def logins_table() -> list[tuple[str, str, str, str]]:
    """(login, role, department, password) of the demo logins present in the database."""
    from kam.access.models import Role, User

    order = {login: i for i, login in enumerate(all_demo_logins())}
    users = sorted(
        User.objects.filter(username__in=order).select_related("department"), key=lambda u: order[u.username]
    )
    rows = []
    for u in users:
        role = str(Role(u.role).label) + (" + admin" if u.is_staff else "")
        rows.append((u.username, role, u.department.name if u.department else "—", DEMO_PASSWORD))
    return rows
