"""The triage protocol as data: `flows/protocol.yaml`, checked when loaded, applied to a reading.

    protocol = load_protocol(flows_dir / "protocol.yaml", known_findings=reader.kinds)
    decision = protocol.decide(facts_of(reading, age_days=35))
    decision.level, decision.flags     # Level.URGENT, ("vomiting",)

Pure: no I/O after loading.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hotline.engine.levels import Level
from hotline.engine.reading import YOUNG_INFANT_DAYS as YOUNG_INFANT_DAYS
from hotline.engine.reading import Found, Reading, fever_line
from hotline.engine.yamlfile import load_yaml

LOW_TEMPERATURE_C = 36.0  # 96.8 F
LONG_EPISODE_MINUTES = 5
FAST_BREATHING_PER_MINUTE = 60  # breaths a minute (Schmitt-NB)
# Facts the protocol can use besides the reader's findings.
DERIVED = ("fever", "low_temperature", "shaking", "shaking_earlier", "long_episode", "seizure_earlier",
           "not_back_to_normal", "fast_breath_count")
# Said now, or earlier in the conversation, beside a seizure-like episode that is over: the baby is not back to
# normal (Seizure-FA: an ambulance). (Said before the episode it counts too: the safer reading.)
NOT_BACK_TO_NORMAL = frozenset({"lethargy", "floppy", "unresponsive", "cyanosis", "pale", "not_recovered"})
SEIZURE_FAMILY = ("seizure", "limbs_together", "stiffening", "stiff_then_jerking", "eyes_rolling", "one_side_arm_leg")
_COMPARE = re.compile(r"^(<=|>=|<|>|==)\s*(-?\d+(?:\.\d+)?)$")
_OPS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq}


class ProtocolError(ValueError):
    pass


@dataclass(frozen=True)
class Facts:
    """What is known about the baby now: findings present, age, temperature."""

    present: frozenset[str]
    age_days: int | None = None
    temperature_c: float | None = None
    # Situations mentioned in any way but denied ("his mom says his eyes roll when he falls asleep"): an
    # `unless` reads these too, so a look-alike explained in the message does not fire a rule.
    mentioned: frozenset[str] = frozenset()
    # What this message itself says is present (`present` adds what the conversation said before). A rule whose
    # sign this message states is excused only by a situation this message states ("kicking on his play mat"
    # an hour ago does not explain "his arms and legs are jerking and it won't stop" now).
    here: frozenset[str] | None = None
    # Where in this message each finding is said, by part: a new topic ("also not sure if related but...", "btw",
    # "otra cosa") starts a part. A situation said only in another part than a sign does not excuse it ("...his
    # legs shake when he's unwrapped, should we go tighter? Also ... about 5 minutes ago he went totally stiff and
    # then both arms and legs jerked").
    parts: Mapping[str, frozenset[int]] | None = None


@dataclass(frozen=True)
class _Bound:
    op: str
    value: float

    def holds(self, actual: float | None) -> bool:
        if actual is None:  # unknown age: the younger band satisfies "<" bounds only
            return self.op in ("<", "<=")
        return _OPS[self.op](actual, self.value)


@dataclass(frozen=True)
class Rule:
    id: str
    flag: str
    level: Level
    any: frozenset[str]
    all: frozenset[str]
    unless: frozenset[str]
    age: _Bound | None
    temperature: _Bound | None
    source: str
    # Excuses that count only when said of the baby, not guessed or asked about ("is that just from crying?")
    unless_said: frozenset[str] = frozenset()
    # Its findings count when said to be over: they tell what the shaking was like ("only her left arm was shaking
    # for a while, it stopped when I held it")
    when_over: bool = False

    def fires(self, facts: Facts) -> bool:
        present = facts.present
        if self.any and not (self.any & present):
            return False
        if not self.all <= present:
            return False
        said_now = facts.here is not None and bool((self.any | self.all) & facts.here)
        now = facts.here if said_now and facts.here is not None else present
        excuses = self.unless & (now | facts.mentioned) | self.unless_said & now
        if excuses and said_now and facts.parts:
            signs = frozenset().union(*(facts.parts.get(f, frozenset()) for f in (self.any | self.all) & present))
            excuses = frozenset(e for e in excuses
                                if e not in SITUATIONS or not signs or facts.parts.get(e, signs) & signs)
        if excuses:
            return False
        if self.age is not None and not self.age.holds(facts.age_days):
            return False
        if self.temperature is not None and (
                facts.temperature_c is None or not self.temperature.holds(facts.temperature_c)):
            return False
        return True


@dataclass(frozen=True)
class Decision:
    level: Level | None  # None: no rule fired (nothing above home)
    rules: tuple[Rule, ...]  # highest level first

    @property
    def flags(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(rule.flag for rule in self.rules))


class Protocol:
    def __init__(self, rules: Iterable[Rule]) -> None:
        self.rules = tuple(rules)
        # Findings that count even when said to be over: those of the rules that call the emergency number. A
        # finding such a rule needs only together with another (vomiting after a head injury) counts when over
        # only beside it: "threw up over the weekend, but that's been over for 3 days" is history.
        emergency = [r for r in self.rules if r.level is Level.EMERGENCY]
        self.lasting = frozenset(f for r in emergency for f in (r.all or r.any)) | frozenset(
            f for r in self.rules if r.when_over for f in r.any | r.all)
        together: dict[str, set[str]] = {}
        for r in emergency:
            for f in r.any - self.lasting if r.all else ():
                together.setdefault(f, set()).update(r.all)
        self.lasting_with: Mapping[str, frozenset[str]] = {f: frozenset(need) for f, need in together.items()}
        self.flag_levels: dict[str, Level] = {}
        for rule in self.rules:
            self.flag_levels[rule.flag] = max(self.flag_levels.get(rule.flag, rule.level), rule.level)
        # Which rules can fire, by a finding each needs: one of `all`, or every one of `any` (a rule that needs
        # no finding, only a temperature, is always tried). A message is checked against only those rules.
        self._by_finding: dict[str, list[int]] = {}
        self._always: list[int] = []
        for index, rule in enumerate(self.rules):
            keys = sorted(rule.all)[:1] or sorted(rule.any)
            for key in keys:
                self._by_finding.setdefault(key, []).append(index)
            if not keys:
                self._always.append(index)

    def decide(self, facts: Facts) -> Decision:
        candidates = set(self._always)
        for finding in facts.present:
            candidates.update(self._by_finding.get(finding, ()))
        fired = sorted((rule for index in sorted(candidates) if (rule := self.rules[index]).fires(facts)),
                       key=lambda r: -r.level)
        return Decision(fired[0].level if fired else None, tuple(fired))

    def sources(self) -> dict[str, str]:
        return {rule.id: rule.source for rule in self.rules}


def episode_over(reading: Reading) -> frozenset[Found]:
    """What a message says of a seizure-like episode that is over: its seizure signs said of earlier, and the
    baby not responding while it shook ("last night her whole body was jerking and she wasn't responding";
    EpiFdn: a blank unresponsive stare with jerking), said of earlier or in the past tense. Not responding said
    alone, or now, stays what it is (Schmitt-NB: 911)."""
    over = [f for f in reading.findings if f.assertion in ("earlier", "resolved")]
    names = {f.finding for f in over}
    if "going_on_now" in reading.present:
        return frozenset()  # "... and it's still going", "ahorita otra vez": not over
    words = reading.tokens.words
    # "this morning it started shaking and it doesn't stop when I hold it", "esta mañana empezó y no se le quita
    # cuando lo cargo": holding that does not stop it, told in the present tense, is now
    if any(f.finding == "not_stopped_by_holding" and f.assertion == "earlier" and
           not _HELD_IN_THE_PAST & set(words[max(0, f.start - 2):f.end]) for f in over):
        return frozenset()
    # ("anoche no se le quitaba cuando lo agarré, hoy no ha vuelto a temblar": that episode, over)
    if not names & (set(SEIZURE_FAMILY) | reading.shaking_findings | {"not_stopped_by_holding"}):
        return frozenset()
    # Movements that holding did not stop are a seizure sign of their own (EpiFdn): said of earlier, they are
    # the episode ("this morning her leg shook and didn't stop when I held it, 2 min; fine since").
    episode = {f for f in over if f.finding in SEIZURE_FAMILY or f.finding == "not_stopped_by_holding"}
    # ("anoche ... tuvo temblores en brazos y piernas que no paraban cuando la cargaba, como 2 minutos. hoy amaneció
    # normal": shaking said of earlier, and holding that did not stop it, told in the past tense: that episode)
    if names & reading.shaking_findings:
        episode.update(f for f in reading.findings if f.finding == "not_stopped_by_holding" and f.assertion == "present"
                       and PAST_TENSE & set(words[f.start:f.end])
                       and not NOW_MARKS & set(words[max(0, f.start - 3):f.end + 3]))
    if any(f.finding in SEIZURE_FAMILY for f in episode):
        # The rest of that episode, told on in the past tense after it ("anoche tuvo como una convulsión, se puso
        # tiesa y le brincaban los brazos y las piernas... y hoy está normalita"): the same episode.
        first = min(f.start for f in episode)
        episode.update(f for f in reading.findings if f.assertion == "present" and f.finding in SEIZURE_FAMILY
                       and f.start > first and PAST_TENSE & set(words[max(0, f.start - 2):f.end])
                       and not NOW_MARKS & set(words[max(0, f.start - 5):f.end + 3]))  # ("and now ... again")
    # (not what is said since: "desde la convulsión de anoche está muy dormido y no despierta" is how the baby is now)
    first = min((f.start for f in episode), default=len(words))
    unresponsive = [f for f in reading.findings if f.finding == "unresponsive" and f.assertion in (
        "present", "earlier", "resolved") and not _AFTER & set(words[first:f.start])
        and not NOW_MARKS & set(words[max(0, f.start - 2):f.end])]  # ("she still won't wake up after the seizure")
    if unresponsive and all(f.assertion != "present" or PAST_TENSE & set(words[f.start:f.end]) for f in unresponsive):
        episode.update(unresponsive)
    return frozenset(episode)


# Words that put an episode before what is said of the baby now ("not back to normal after the jerking").
_AFTER = frozenset({"after", "since", "despues", "desde"})
# What names a shaking as an episode of its own ("a shaking spell", "un episodio de temblor").
_EPISODE_WORDS = frozenset({"spell", "spells", "episode", "episodes", "episodio", "episodios", "attack", "ataque"})


# Words that tell something in the past tense (an episode told as over): "he didn't respond", "it lasted".
PAST_TENSE = frozenset({"wasnt", "didnt", "wouldnt", "couldnt", "was", "did", "would", "respondia", "reaccionaba",
                        "respondio", "reacciono", "lasted", "were", "went", "had", "happened", "jerked", "shook",
                        "stopped", "rolled", "stiffened", "duro", "fue", "tuvo", "tenia", "brincaban", "temblaba",
                        "temblaban", "estaba", "quito", "paso", "sacudia", "brincaba", "temblo", "brinco", "sacudio",
                        "puso", "fueron", "quedo", "jalo", "jalaba", "convulsiono", "trembled", "twitched", "seized",
                        "turned", "froze", "brincaron", "temblaron", "sacudieron", "jalaron", "quitaba", "paraba",
                        "calmaba", "detenia", "quitaban", "paraban"})
# ...and the words that tell holding in the past ("both legs kept shaking no matter how I held her")
_HELD_IN_THE_PAST = PAST_TENSE | {"held", "kept", "agarraba", "cargaba", "abrazaba", "sostenia", "sujetaba"}
# Words that put what they stand beside in the present: "and now his arms jerked again", "ahorita otra vez". (The
# finding going_on_now says the same of a whole message, as phrases: "it's still going", "no ha parado".)
NOW_MARKS = frozenset({"now", "again", "still", "currently", "rn", "ahora", "ahorita", "otra", "nuevo", "todavia",
                        "sigue", "aun"})
# The findings of a seizure-like episode, with the baby not responding during it.
EPISODE_FINDINGS = frozenset(SEIZURE_FAMILY) | {"unresponsive"}


def facts_of(reading: Reading, age_days: int | None = None, temperature_c: float | None = None,
             site: str | None = None, known: Iterable[str] = (), lasting: frozenset[str] = frozenset(),
             lasting_with: Mapping[str, frozenset[str]] | None = None) -> Facts:
    """The protocol's facts from one message's reading, with what the conversation already knew."""
    age = reading.age_days if reading.age_days is not None else age_days
    temperature = reading.temperature_c if reading.temperature_c is not None else temperature_c
    site = reading.temperature_site or site
    over = {f.finding for f in reading.findings if f.assertion == "resolved"}
    resolved = over & lasting
    present = set(reading.present) | set(known) | resolved
    resolved |= {f for f in over if (need := (lasting_with or {}).get(f)) and need <= present}
    present |= resolved
    if reading.shaking:
        present.add("shaking")
    if any(f.assertion == "earlier" and f.finding in reading.shaking_findings for f in reading.findings):
        present.add("shaking_earlier")  # "her legs started trembling this afternoon"
    threshold = fever_line(site, age)
    if temperature is not None:
        if temperature >= threshold:
            present.add("fever")
        elif "fever_reducer" in present and "fever_words" in present and "temperature_normal" not in present:
            present.add("fever")  # felt hot, given a fever medicine, then read: the medicine lowered the reading
        else:
            present.discard("fever")  # a reading beats words: "feels hot, 37.0" is no fever
        if temperature < LOW_TEMPERATURE_C:
            present.add("low_temperature")
    elif "fever_words" in present and "temperature_normal" not in reading.present:
        present.add("fever")  # ("not sure if he has a fever, he feels normal to me": the touch said no)
    if reading.breaths_per_minute is not None:  # a count beats words, as a reading does (Schmitt-NB: over 60)
        if reading.breaths_per_minute > FAST_BREATHING_PER_MINUTE:
            present.add("fast_breath_count")  # counted: not the "fast while crying" the crying explains
        else:
            present.discard("breathing_fast")
    if reading.minutes is not None and reading.minutes >= LONG_EPISODE_MINUTES and (
            present & {"shaking", "not_stopped_by_holding", "persistent"}):
        present.add("long_episode")
    # A seizure-like episode that is over (earlier today, last night) from which nothing says the baby is
    # still unwell: a doctor today, not 911. One just now ("5 minutes ago", "just had") stays an emergency.
    # (A seizure weeks or months ago, checked since, is history: no level of its own.)
    # (but "...when she was 1 and now she's doing it again and won't stop": it is happening again now)
    if "going_on_now" in reading.present:
        present |= {f.finding for f in reading.findings if f.assertion in ("historical", "earlier", "resolved")
                    and f.finding in SEIZURE_FAMILY}
    else:
        present -= {f.finding for f in reading.findings
                    if f.assertion == "historical" and f.finding in SEIZURE_FAMILY} - set(reading.present)
    episode = episode_over(reading)
    if episode and not {f.finding for f in reading.findings if f.assertion == "present" and f not in episode} & set(
            SEIZURE_FAMILY):
        present -= set(SEIZURE_FAMILY) | {f.finding for f in episode}
        # ("it didn't stop when I held him" said of that episode, or in the past tense beside it, is part of it)
        words = reading.tokens.words
        if not any(f.finding == "not_stopped_by_holding" and f.assertion == "present"
                   and not PAST_TENSE & set(words[f.start:f.end]) for f in reading.findings):
            present.discard("not_stopped_by_holding")
        present.add("seizure_earlier")
    # ("...since then she's been really sleepy", "y desde entonces no está normal")
    now = {f.finding for f in reading.findings if f.assertion == "present" and f not in episode}
    # ("he had a seizure an hour ago and he's not acting right": what is said after the episode, in the reach of
    # its "ago", is how the baby is since)
    # (and "hoy amaneció bien aguadito y no responde, anoche convulsionó": how the baby is, said before the episode)
    if episode:
        end = max(f.end for f in episode)
        now |= {f.finding for f in reading.findings if f.assertion == "earlier" and f not in episode and (
            f.start >= end or f.finding in NOT_BACK_TO_NORMAL)
                and not PAST_TENSE & set(reading.tokens.words[max(0, f.start - 2):f.end])}  # ("he was dazed after")
    if "seizure_earlier" in present and NOT_BACK_TO_NORMAL & (now | set(known)):
        present.add("not_back_to_normal")
    # "like 3 min ago her whole body went stiff and shook for about a minute ... she's really out of it now": an
    # episode minutes ago, told without its end, and the baby not back to normal (whatever else set off a jerk)
    if "just_now" in present and present & set(SEIZURE_FAMILY) and NOT_BACK_TO_NORMAL & now:
        present.add("not_back_to_normal")
    # "he's still not back to normal after the jerking": any shaking episode, and the baby not back to how they were
    # ("his legs were shaking earlier and he hasn't been right since": told before it, or after an "after")
    words = reading.tokens.words
    # (not after what explains ordinary shaking: "a big crying fit and his legs were shaking and he's still not back
    # to normal", "shivering after the bath")
    ordinary = {"crying", "tantrum", "shivering", "cold", "hiccups", "startle"} & {
        f.finding for f in reading.findings if f.assertion not in ("negated", "other_person", "hypothetical")}
    # ("shaking spell 5 min ago and now really sleepy", "tuvo un episodio de temblor hace un ratito y ahora está
    # muy dormido": an episode of shaking minutes ago, named as one, and the baby sleepy or floppy since)
    if "just_now" in present and not ordinary and NOT_BACK_TO_NORMAL & now and _EPISODE_WORDS & set(words) and any(
            f.finding in reading.shaking_findings and f.assertion in ("present", "earlier", "resolved")
            for f in reading.findings):
        present.add("not_back_to_normal")
    for late in (f for f in reading.findings if f.finding == "not_recovered" and f.assertion in ("present", "earlier")
                 and not ordinary):
        if any(f.finding in reading.shaking_findings and f.assertion in ("present", "earlier", "resolved") and (
                f.end <= late.start or _AFTER & set(words[max(0, f.start - 3):f.start])) for f in reading.findings):
            present.add("not_back_to_normal")
    # What excuses a sign may be said of any time or as a question ("she startled earlier"), but not of someone
    # else ("I'm kind of scared" is the parent's fear, not a frightened baby).
    mentioned = frozenset(f.finding for f in reading.findings if f.assertion not in ("negated", "other_person"))
    here = frozenset(reading.present) | resolved
    return Facts(frozenset(present), age, temperature, mentioned, here, _parts(reading))


# Situations that explain a look-alike (as against qualities of the shaking itself: brief, stops when held).
SITUATIONS = frozenset(("crying", "excitement", "cold", "startle", "feeding", "hunger", "stretching", "red_face",
                        "tantrum", "shivering"))
_NEW_TOPIC = (("also", "not", "sure", "if", "related"), ("btw",), ("by", "the", "way"), ("another", "thing"),
              ("on", "another", "note"), ("unrelated",), ("otra", "cosa"), ("aparte", "de", "eso"))
_NEW_TOPIC_FIRST = frozenset(t[0] for t in _NEW_TOPIC)


def _parts(reading: Reading) -> Mapping[str, frozenset[int]] | None:
    """Which parts of the message each finding is said in (see Facts.parts); None when it has one part."""
    words = reading.tokens.words
    if _NEW_TOPIC_FIRST.isdisjoint(words):
        return None
    part, starts = 0, [0] * len(words)
    for i, word in enumerate(words):
        if i and word in _NEW_TOPIC_FIRST and any(words[i:i + len(t)] == t for t in _NEW_TOPIC):
            part += 1
        starts[i] = part
    if not part:
        return None
    out: dict[str, set[int]] = {}
    for f in reading.findings:
        if f.start < len(words):
            out.setdefault(f.finding, set()).add(starts[f.start])
    return {k: frozenset(v) for k, v in out.items()}


def _bound(value: Any, where: str) -> _Bound | None:
    if value is None:
        return None
    match = _COMPARE.match(str(value).strip())
    if not match:
        raise ProtocolError(f"{where}: {value!r} is not a comparison such as \"<90\" or \">=38.0\"")
    return _Bound(match.group(1), float(match.group(2)))


def parse_protocol(data: Any, source: str, known_findings: Mapping[str, str]) -> Protocol:
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list) or not data["rules"]:
        raise ProtocolError(f"{source}: expected a 'rules:' list")
    known = set(known_findings) | set(DERIVED)
    rules: list[Rule] = []
    seen: set[str] = set()
    for index, raw in enumerate(data["rules"], 1):
        where = f"{source}: rule #{index}"
        if not isinstance(raw, dict) or "id" not in raw:
            raise ProtocolError(f"{where}: each rule needs an id")
        rule_id = str(raw["id"])
        where = f"{source}: rule '{rule_id}'"
        if rule_id in seen:
            raise ProtocolError(f"{where}: duplicate id")
        seen.add(rule_id)
        unknown_keys = set(raw) - {"id", "flag", "level", "any", "all", "unless", "unless_said", "age_days",
                                   "temperature_c", "source", "when_over"}
        if unknown_keys:
            raise ProtocolError(f"{where}: unknown key(s) {', '.join(sorted(unknown_keys))}")
        try:
            level = Level.parse(str(raw.get("level", "")))
        except ValueError as error:
            raise ProtocolError(f"{where}: {error}") from None
        if level is Level.HOME:
            raise ProtocolError(f"{where}: home is what no rule gives; a rule raises the level")
        if not raw.get("source"):
            raise ProtocolError(f"{where}: every rule names its source (article section or triage source)")
        sets = {}
        for key in ("any", "all", "unless", "unless_said"):
            names = frozenset(str(n) for n in raw.get(key) or ())
            for name in sorted(names - known):
                import difflib

                close = difflib.get_close_matches(name, sorted(known), n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                raise ProtocolError(f"{where}: {key}: unknown finding '{name}'{hint}")
            sets[key] = names
        if not sets["any"] and not sets["all"]:
            raise ProtocolError(f"{where}: needs 'any:' or 'all:' findings")
        rules.append(Rule(rule_id, str(raw.get("flag") or rule_id.replace("-", "_")), level, sets["any"],
                          sets["all"], sets["unless"], _bound(raw.get("age_days"), f"{where}: age_days"),
                          _bound(raw.get("temperature_c"), f"{where}: temperature_c"), str(raw["source"]),
                          sets["unless_said"], bool(raw.get("when_over", False))))
    return Protocol(rules)


def load_protocol(path: Path, known_findings: Mapping[str, str]) -> Protocol:
    import yaml

    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ProtocolError(f"{path}: {error}") from None
    return parse_protocol(data, str(path), known_findings)


_LEVEL_TITLES = (("emergency", "Emergency (call the emergency number now)"), ("urgent", "Urgent (a doctor today)"),
                 ("soon", "Soon (the pediatrician within a day or two)"))
_RULES_PAGE_HEAD = """# Clinical rules the hotline applies

For a clinician's sign-off. The hotline gives guidance from one article
(`../shared/source/why-babies-legs-shake.txt`) and, where the article is silent, applies **only** the pediatric
telephone-triage rules of `../shared/CLINICAL-RULES.md`.
The tables below are generated from `flows/protocol.yaml`, the data the engine runs (`hotline flows rules >
docs/clinical-rules.md`); a test fails when this page and that file disagree. Findings (what a parent's words mean)
are defined in `flows/findings.yaml`.

## How a message becomes a level

1. **Reading.** The message is normalised (Unicode NFKC, invisible format characters removed, accents folded, numbers
   said in words turned into digits) and read into findings, each with its assertion (ConText, Harkema et al. 2009):
   present now, denied, hypothetical, about someone else, past. Only findings present now count, except a
   seizure-like episode that is over (`seizure_earlier`). The breastfeeding mother's medicine counts whoever writes.
2. **Facts.** Age in days (hedges: "almost/under 3 months" is under; "over 6 months" is over; a corrected age for a
   preterm baby wins; a half rounds down), the highest temperature read in C, and derived facts: `fever` (38.0 C /
   100.4 F or more; 37.2 C / 99 F under the arm before 1 month; fever words with no reading), `low_temperature`
   (below 36.0 C / 96.8 F), `shaking`, `long_episode` (shaking said to last 5 minutes or more), `not_back_to_normal`
   (after a seizure-like episode that is over, the baby said to be sleepy, floppy, unresponsive or a colour now). A
   reading beats words, except a reading taken after a fever medicine was given to the baby ("felt hot, gave her
   Tylenol, now 37.1": the medicine lowered it, so the fever words still count; unknown is the worse answer).
3. **Rules.** The highest level any rule gives wins, in every state of the conversation. **Unknown is the worse
   answer:** an unknown age satisfies "under" conditions; "not sure" to a red-flag question counts as yes.
   Findings accumulate over a conversation; a later denial removes one; a later reassurance never lowers a level.
4. The `fever` flag alone is urgent under 90 days or at an unknown age and *soon* from 90 days (AAP-fever). A fever
   of 39 C or more read at an unknown age is urgent (3-6 months, Mayo-fever) until the age is known: past 6 months
   it is *soon* (below 40 C, with no shaking).

Levels: **emergency** = call the emergency number now; **urgent** = a doctor today (fever under 3 months: now);
**soon** = the pediatrician within a day or two; **home** = normal shaking (no rule fired).
"""
_RULES_PAGE_TAIL = """## Home

No rule fires: normal shaking (crying, startle/Moro reflex until about 4-6 months, feeding and latching, hunger
that stops once fed, cold that stops once warm, tiredness, excitement, stretching, sleep twitches). The reply says
it sounds normal *as long as the baby is otherwise well and reaching milestones* (Article, When Should You Be
Concerned), answers the question asked, and asks the one question that could still change the level.

## Sources

Short names as in `../shared/CLINICAL-RULES.md`: Article (by section), Schmitt-NB, Schmitt-subtle, AAP-fever,
Mayo-fever, Seizure-FA, EpiFdn, LactMed, AAP-sleep, and head-injury advice.
"""


def rules_page(data: Any) -> str:
    """docs/clinical-rules.md: every rule of flows/protocol.yaml (parsed YAML) with its conditions and source."""
    lines = [_RULES_PAGE_HEAD]
    for level, title in _LEVEL_TITLES:
        lines += [f"## {title}", "", "| rule | when | source |", "|---|---|---|"]
        for raw in data["rules"]:
            if raw["level"] != level:
                continue
            when = []
            for key, label in (("any", "any of"), ("all", "all of"), ("unless", "unless"),
                               ("unless_said", "unless said of the baby")):
                if raw.get(key):
                    when.append(f"{label}: {', '.join(raw[key])}")
            if raw.get("age_days"):
                when.append(f"age (days) {raw['age_days']}")
            if raw.get("temperature_c"):
                when.append(f"temperature (C) {raw['temperature_c']}")
            if raw.get("when_over"):
                when.append("also when said to be over")
            lines.append(f"| `{raw['id']}` | {'; '.join(when)} | {raw['source']} |")
        lines.append("")
    lines.append(_RULES_PAGE_TAIL)
    return "\n".join(lines)
