"""Deterministic English-like news text for the demo hub.

Every function takes a ``random.Random`` so that a hub built with the same seed produces the same
words. The vocabulary is small and newsy on purpose: extraction tests need text that looks like
an article (sentences, quotes, numbers, curly punctuation, a few accented words) without copying
any real site. All characters are encodable in windows-1252, so any article can be served in it.
"""

from __future__ import annotations

import random
import re
import unicodedata

AUTHORS = (
    "Sara Ahmadi", "Reza Karimi", "Maryam Hosseini", "Ali Rezaei", "Nima Tehrani",
    "Leila Moradi", "Hamid Sadeghi", "Farzaneh Ebrahimi", "Omid Jafari", "Parisa Rahimi",
    "Kaveh Nazari", "Elham Ghasemi",
)  # fmt: skip
COMMENTERS = (
    "Arash", "Mina K.", "Daniel Brooks", "Sohrab", "Yasmin", "Peter Novak", "Golnar",
    "Javad M.", "Hannah", "Babak",
)  # fmt: skip
AGENCIES = ("Tasnim News Agency", "IRNA", "Mehr News Agency", "Fars News Agency", "ISNA")
COUNTRIES = (
    "Iran", "Russia", "China", "Turkey", "Iraq", "Qatar", "Oman", "India", "Brazil", "Armenia",
    "Azerbaijan", "Pakistan", "Kazakhstan", "Syria", "Lebanon", "Egypt", "Algeria", "Venezuela",
    "Indonesia", "Malaysia", "Belarus", "Tajikistan", "Kenya", "Serbia", "Cuba", "North Korea",
)  # fmt: skip
CITIES = (
    "Tehran", "Moscow", "Beijing", "Ankara", "Baghdad", "Doha", "Muscat", "New Delhi", "Baku",
    "Yerevan", "Islamabad", "Astana", "Cairo", "Algiers", "Caracas", "Jakarta", "Minsk",
    "Dushanbe", "Nairobi", "Belgrade", "Havana", "Isfahan", "Tabriz", "Mashhad", "Shiraz",
)  # fmt: skip
ORGS = (
    "the Ministry of Foreign Affairs", "the Central Bank", "the parliament",
    "the Ministry of Economy", "the national oil company", "the chamber of commerce",
    "the health ministry", "the football federation", "the statistics centre",
    "the port authority", "the customs administration", "the space agency",
    "the university council", "the energy ministry", "the planning organisation",
)  # fmt: skip
ROLES = (
    "the foreign minister", "the deputy minister of trade", "the head of the central bank",
    "a senior diplomat", "the government spokesman", "the provincial governor",
    "the head coach", "a member of parliament", "the museum director",
    "the chief executive of the port", "an energy analyst", "a university professor",
    "the ambassador", "the mayor", "the organising committee",
)  # fmt: skip
ADJS = (
    "strategic", "comprehensive", "joint", "regional", "new", "long-term", "bilateral",
    "ambitious", "controversial", "national", "annual", "preliminary", "expanded", "historic",
    "temporary", "revised", "multilateral", "modest", "record", "second",
)  # fmt: skip
VERBS = (
    ("approve", "approved"), ("reject", "rejected"), ("welcome", "welcomed"),
    ("announce", "announced"), ("review", "reviewed"), ("expand", "expanded"),
    ("suspend", "suspended"), ("finalise", "finalised"), ("criticise", "criticised"),
    ("support", "supported"), ("postpone", "postponed"), ("sign", "signed"),
    ("launch", "launched"), ("complete", "completed"), ("discuss", "discussed"),
    ("extend", "extended"), ("examine", "examined"), ("endorse", "endorsed"),
)  # fmt: skip
DOCS = ("memorandum", "agreement", "communiqué", "roadmap", "protocol", "framework", "statement")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
GOODS = ("wheat", "steel", "cement", "saffron", "pistachios", "petrochemicals", "fruit", "urea")
UNITS = ("tonnes", "containers", "shipments", "barrels", "wagons")
TAILS = (
    " in {city}", " on {day}", " after {n} months of talks", " despite {noun} concerns",
    " as part of the {adj} {noun} programme", " earlier this week", " before the end of the year",
    " during a meeting in {city}", "",
)  # fmt: skip

# Category label -> topic nouns used in its headlines and bodies.
TOPICS = {
    "International News": ("agreement", "summit", "partnership", "ceasefire", "détente",
                           "negotiations", "sanctions", "visit", "corridor"),
    "Politics": ("election", "reform", "bill", "cabinet reshuffle", "budget bill", "referendum",
                 "coalition", "inquiry"),
    "Economy": ("exports", "inflation", "tariffs", "investment", "currency", "free zone",
                "housing market", "oil revenue", "trade"),
    "Sports": ("tournament", "league", "final", "transfer", "championship", "qualifiers",
               "derby", "squad"),
    "Culture and Art": ("festival", "exhibition", "film", "book fair", "concert", "museum",
                        "café culture", "theatre season"),
    "Science and Technology": ("satellite", "vaccine", "startup", "research centre",
                               "data centre", "telescope", "chip plant", "launch"),
    "Society": ("water supply", "housing", "school year", "public transport", "healthcare",
                "pensions", "air quality", "rent"),
    "Provinces": ("railway", "dam", "road project", "harvest", "tourism season", "airport",
                  "irrigation", "bridge"),
}  # fmt: skip
CATEGORIES = tuple(TOPICS)
NUMBER_WORDS = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen", "twenty",
)  # fmt: skip


def slugify(text: str) -> str:
    """WordPress-like slug: ASCII, lowercase, hyphens; accents folded so URLs stay plain."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", folded.lower().replace("'", "")).strip("-")
    if len(slug) > 80:
        slug = slug[:80].rsplit("-", 1)[0]
    return slug


def an(word: str) -> str:
    """``word`` with its indefinite article."""
    return f"{'an' if word[0] in 'aeiou' else 'a'} {word}"


class Writer:
    """Writes headlines, leads and paragraphs about one article's focus (countries, topic)."""

    def __init__(self, rng: random.Random, category: str) -> None:
        self.rng = rng
        self.topics = TOPICS[category]
        self.country, self.other = rng.sample(COUNTRIES, 2)
        self.city = rng.choice(CITIES)
        self.topic = rng.choice(self.topics)

    # -- slot fillers ------------------------------------------------------------------------
    def _country(self) -> str:
        r = self.rng.random()
        return self.country if r < 0.45 else self.other if r < 0.7 else self.rng.choice(COUNTRIES)

    def _city(self) -> str:
        return self.city if self.rng.random() < 0.5 else self.rng.choice(CITIES)

    def _noun(self) -> str:
        return self.topic if self.rng.random() < 0.4 else self.rng.choice(self.topics)

    def _fill(self, template: str) -> str:
        rng = self.rng
        return template.format(
            city=self._city(), day=rng.choice(DAYS), n=rng.randint(2, 18),
            noun=self._noun(), adj=rng.choice(ADJS),
        )  # fmt: skip

    def _subject(self) -> str:
        rng = self.rng
        kind = rng.randrange(5)
        if kind == 0:
            return rng.choice(ROLES)
        if kind == 1:
            return rng.choice(ORGS)
        if kind == 2:
            return f"officials in {self._city()}"
        if kind == 3:
            return self._country()
        return f"the delegation from {self._country()}"

    def _object(self) -> str:
        rng = self.rng
        kind = rng.randrange(4)
        if kind == 0:
            return f"the {rng.choice(ADJS)} {self._noun()}"
        if kind == 1:
            return f"{an(rng.choice(ADJS))} plan for the {self._noun()}"
        if kind == 2:
            return f"new rules on {self._noun()}"
        return f"the draft of the {self._noun()} {rng.choice(DOCS)}"

    def clause(self) -> str:
        """Subject, past-tense verb, object and an optional place/time tail."""
        tail = self._fill(self.rng.choice(TAILS))
        return f"{self._subject()} {self.rng.choice(VERBS)[1]} {self._object()}{tail}"

    def _quote(self) -> str:
        rng = self.rng
        base = rng.choice(VERBS)[0]
        partners = f"our partners in {self._city()}"
        return f"We will {base} the {rng.choice(ADJS)} {self._noun()} with {partners}"

    def communique(self) -> str:
        """A sentence with an accented word, an en dash and curly quotes (legacy-charset bait)."""
        return (
            f"The communiqué – issued in {self._city()} on {self.rng.choice(DAYS)} – said "
            f"“{self._quote()}”."
        )

    def sentence(self) -> str:
        """One sentence of one of a dozen shapes."""
        rng = self.rng
        kind = rng.randrange(12)
        if kind == 0:
            text = f"According to {rng.choice(ORGS)}, {self.clause()}."
        elif kind == 1:
            text = f"{self.clause()}, {rng.choice(ROLES)} said."
        elif kind == 2:
            text = f"{rng.choice(ROLES)} told reporters in {self._city()} that {self.clause()}."
        elif kind == 3:
            text = f"“{self._quote()}”, {rng.choice(ROLES)} said."
        elif kind == 4:
            n = rng.randint(2, 60)
            text = f"The figure is {n} percent {rng.choice(('higher', 'lower'))} than a year ago."
        elif kind == 5:
            amount = f"{rng.randint(1, 90)},{rng.randint(0, 999):03d}"
            text = (
                f"About {amount} {rng.choice(UNITS)} of {rng.choice(GOODS)} were moved through "
                f"{self._city()} in the first {rng.randint(2, 11)} months of the year."
            )
        elif kind == 6:
            text = f"However, {self.clause()}."
        elif kind == 7:
            text = (
                f"The {rng.choice(ADJS)} {self._noun()} {rng.choice(DOCS)} is expected to be "
                f"{rng.choice(VERBS)[1]}{self._fill(rng.choice(TAILS))}."
            )
        elif kind == 8:
            text = f"Analysts in {self._city()} believe that {self.clause()}."
        elif kind == 9:
            text = f"This comes as {self.clause()}."
        elif kind == 10:
            since = rng.choice(DAYS)
            text = f"{self._country()}’s {self._noun()} has been on the agenda since {since}."
        else:
            text = f"{self.clause()}."
        return text[0].upper() + text[1:]

    def paragraph(self, words: int) -> str:
        """Sentences until at least ``words`` words."""
        out: list[str] = []
        count = 0
        while count < words:
            s = self.sentence()
            out.append(s)
            count += len(s.split())
        return " ".join(out)

    def headline(self) -> str:
        rng = self.rng
        kind = rng.randrange(8)
        c, o, noun = self.country, self.other, self.topic
        if kind == 0:
            role = rng.choice(ROLES).removeprefix("the ").removeprefix("a ").removeprefix("an ")
            text = f"{role}: {c} will {rng.choice(VERBS)[0]} {noun} with {o}"
        elif kind == 1:
            text = f"{c} and {o} sign {rng.choice(ADJS)} {noun} {rng.choice(DOCS)}"
        elif kind == 2:
            move = rng.choice(("rises", "falls", "grows"))
            text = f"{c}’s {noun} {move} {rng.randint(2, 60)} percent"
        elif kind == 3:
            text = f"{self.city} hosts {rng.choice(ADJS)} talks on {noun} with {o}"
        elif kind == 4:
            org = rng.choice(ORGS).removeprefix("the ")
            text = f"{org} in {c} {rng.choice(VERBS)[1]} {rng.choice(ADJS)} {noun} plan"
        elif kind == 5:
            move = rng.choice(("resume", "stall", "advance"))
            text = f"{c} – {o} {noun} talks {move} in {self.city}"
        elif kind == 6:
            text = (
                f"{rng.randint(3, 95)} {rng.choice(UNITS)} of {rng.choice(GOODS)} reach {self.city}"
            )
        else:
            text = f"Why {c}’s {rng.choice(ADJS)} {noun} matters for {o}"
        return text[0].upper() + text[1:]

    def lead(self) -> str:
        first = self.sentence()
        return first if len(first.split()) >= 18 else f"{first} {self.sentence()}"

    def subheading(self) -> str:
        rng = self.rng
        options = (
            f"{self.country}’s {rng.choice(ADJS)} {self.topic} under review",
            f"Reaction in {self._city()}",
            f"What comes next for the {self._noun()}",
            f"{self.other} joins the {self._noun()} talks",
            f"The {self._noun()} in numbers",
        )
        text = rng.choice(options)
        return text[0].upper() + text[1:]

    def ad_text(self) -> str:
        rng = self.rng
        return (
            f"{self._city()} free trade zone | {rng.randint(100, 999)} ready projects | "
            f"Returns over {rng.randint(5, 40)} percent"
        )

    def captcha(self) -> str:
        """Math captcha label like ``7 + sixteen =`` (first operand a digit, second a word)."""
        a, b = self.rng.randint(1, 9), self.rng.randint(1, 20)
        op = self.rng.choice(("+", "-", "×"))
        return f"{a} {op} {NUMBER_WORDS[b]} ="

    def comment(self) -> str:
        return self.sentence()
