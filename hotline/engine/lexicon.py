"""Phrase patterns over tokens: the small language `flows/findings.yaml` is written in.

A pattern is a phrase of token tests separated by spaces:

    word          exactly this token               shak*     a token starting with "shak"
    a|b|c         any of these (each may be a stem) word?     this token, or nothing
    #             any number                       ~3        up to 3 tokens that are not punctuation
    (a b|c)       any of these phrases             (a b|c)?  one of them, or nothing

`|` joins single tokens: "i was|im" is "i" then "was" or "im". Alternatives of several words need a
group: "(i was|im|i am) shaking". A group is expanded into one pattern per alternative before matching.

Patterns are indexed by their first token, so matching a message costs a dictionary look-up per token
plus the few patterns that can start there, whatever the size of the vocabulary.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from hotline.engine.text import BREAKS

# A gap never crosses punctuation, a negation or a new clause: "lips not blue" is not "lips ~3 blue",
# "hands a little purple but his lips were pink" is not "purple ~3 lips".
_GAP_STOPS = BREAKS | frozenset(
    "no not never nor neither without isnt arent wasnt werent doesnt dont didnt wont cant hasnt havent "
    "sin nunca ni tampoco but pero though although aunque however "
    # ("i read that grey lips mean emergency and hers look grey": a new subject)
    "hers mine theirs".split())


class PatternError(ValueError):
    pass


@dataclass(frozen=True)
class _Test:
    exact: frozenset[str]
    stems: tuple[str, ...]
    number: bool = False
    optional: bool = False
    gap: int = 0  # > 0: a gap of up to this many tokens

    def accepts(self, token: str) -> bool:
        if token in self.exact:
            return True
        if self.number:
            return token[:1].isdigit()
        return bool(self.stems) and token.startswith(self.stems)


# The plain patterns one written pattern may stand for: each parenthesised group multiplies them, and a lexicon of
# a million patterns takes a minute to build. Single words are written as bare alternatives ("wake|wakes") instead.
MAX_EXPANSION = 20_000


def _plain_patterns(groups: tuple[Iterable[tuple[str, str]], ...]) -> Iterator[tuple[int, str, str]]:
    for group, entries in enumerate(groups):
        for label, written in entries:
            plain = expand(written)
            if len(plain) > MAX_EXPANSION:
                raise PatternError(f"{label}: {written!r} stands for {len(plain):,} patterns (at most "
                                   f"{MAX_EXPANSION:,}): write single words as bare alternatives (a|b, no brackets)")
            for one in plain:
                yield group, label, one


def expand(pattern: str) -> list[str]:
    """The plain patterns a pattern with groups stands for: "(she is|hes) blue" -> "she is blue", "hes blue"."""
    open_at = pattern.find("(")
    if open_at < 0:
        if ")" in pattern:
            raise PatternError(f"{pattern!r}: a ')' without its '('")
        return [pattern]
    close_at = pattern.find(")", open_at)
    if close_at < 0 or "(" in pattern[open_at + 1:close_at]:
        raise PatternError(f"{pattern!r}: groups are written (a b|c) and are not nested")
    optional = pattern[close_at + 1:close_at + 2] == "?"
    head, rest = pattern[:open_at], pattern[close_at + (2 if optional else 1):]
    if head and not head.endswith(" ") or rest and not rest.startswith(" "):
        raise PatternError(f"{pattern!r}: a group stands apart from the words around it")
    alternatives = [a.strip() for a in pattern[open_at + 1:close_at].split("|")]
    if any(not a for a in alternatives):
        raise PatternError(f"{pattern!r}: an empty alternative in a group (use (a|b)? for 'or nothing')")
    if optional:
        alternatives.append("")
    return [expanded for a in alternatives for expanded in expand(" ".join(f"{head}{a}{rest}".split()))]


def _parse(pattern: str) -> tuple[_Test, ...]:
    try:
        tests = tuple(_parse_part(part) for part in pattern.split())
    except PatternError as error:
        raise PatternError(f"{pattern!r}: {error}") from None
    _no_split_phrases(pattern)
    if not tests or tests[0].gap or tests[0].optional:
        raise PatternError(f"{pattern!r}: a pattern starts with a word (not a gap or an optional word)")
    if tests[-1].gap:
        raise PatternError(f"{pattern!r}: a pattern cannot end with a gap")
    return tests


@lru_cache(maxsize=1 << 16)  # (a vocabulary repeats its parts across the patterns its groups expand into)
def _parse_part(part: str) -> _Test:
    if part.startswith("~"):
        if not part[1:].isdigit():
            raise PatternError(f"gap {part!r} needs a number, e.g. ~3")
        return _Test(frozenset(), (), gap=int(part[1:]))
    optional = part.endswith("?") and len(part) > 1
    part = part[:-1] if optional else part
    if part == "#":
        return _Test(frozenset(), (), number=True, optional=optional)
    if part == ",":
        return _Test(frozenset({","}), (), optional=optional)
    exact, stems = set(), []
    for alternative in part.split("|"):
        if not alternative or not all(c.isalnum() or c in "*.'" for c in alternative):
            raise PatternError(f"{alternative!r} is not a word, a stem (word*) or #")
        if alternative.endswith("*"):
            stems.append(alternative[:-1])
        else:
            exact.add(alternative)
    return _Test(frozenset(exact), tuple(stems), optional=optional)


def _no_split_phrases(pattern: str) -> None:
    """Refuse what reads as alternatives of several words written without a group: "i was|im|i am shaking"
    or "she is|he is blue" (a word repeated across neighbouring tokens), which would match something else."""
    if "|" not in pattern:
        return
    parts = [part.rstrip("?") for part in pattern.split()]
    for left, right in zip(parts, parts[1:], strict=False):
        if "|" in left or "|" in right:
            if set(left.split("|")) & set(right.split("|")):
                raise PatternError(f"{pattern!r}: '|' joins single words; write alternatives of several words "
                                   f"as a group, e.g. (she is|he is)")


def _match_simple(tests: tuple[_Test, ...], words: tuple[str, ...], i: int) -> int | None:
    """A pattern of plain tests only (no gap, nothing optional) whose first test accepts words[i]: a straight walk."""
    if i + len(tests) > len(words):
        return None
    for offset in range(1, len(tests)):
        if not tests[offset].accepts(words[i + offset]):
            return None
    return i + len(tests)


def _match_gap(plan: _GapPlan, words: tuple[str, ...], i: int) -> int | None:
    """`_match` for a pattern with one gap and nothing optional (most gapped patterns: "lips ~3 blue"), whose
    first test accepts words[i]: the words before the gap, then the shortest gap after which the rest follow."""
    before, gap, after = plan
    count = len(words)
    at = i + 1
    for test in before:
        if at >= count or not test.accepts(words[at]):
            return None
        at += 1
    size = len(after)
    anchor = words[i]
    for skip in range(gap + 1):
        if skip and (at + skip - 1 >= count or words[at + skip - 1] in _GAP_STOPS or words[at + skip - 1] == anchor):
            return None  # (nor a repeat of the word the match starts at: "blue lips and his lips are blue")
        start = at + skip
        if start + size > count:
            return None
        for offset, test in enumerate(after):
            if not test.accepts(words[start + offset]):
                break
        else:
            return start + size
    return None


def _gap_plan(tests: tuple[_Test, ...]) -> _GapPlan | None:
    """The tests after the first as (before the gap, the gap, after it), for a pattern with one gap and nothing
    optional; None for any other gapped pattern."""
    rest = tests[1:]
    gaps = [index for index, test in enumerate(rest) if test.gap]
    if len(gaps) != 1 or any(test.optional for test in rest):
        return None
    at = gaps[0]
    return rest[:at], rest[at].gap, rest[at + 1:]


def _match(tests: tuple[_Test, ...], words: tuple[str, ...], i: int, t: int, anchor: str = "") -> int | None:
    """The end of the shortest match of tests[t:] at words[i:], or None (`anchor`: the word the match starts at,
    which a gap does not cross)."""
    if t == len(tests):
        return i
    test = tests[t]
    if test.gap:
        for skip in range(test.gap + 1):
            if skip and (i + skip - 1 >= len(words) or words[i + skip - 1] in _GAP_STOPS
                         or words[i + skip - 1] == anchor):
                break
            end = _match(tests, words, i + skip, t + 1, anchor)
            if end is not None:
                return end
        return None
    if i < len(words) and test.accepts(words[i]):
        end = _match(tests, words, i + 1, t + 1, anchor)
        if end is not None:
            return end
    if test.optional:
        return _match(tests, words, i, t + 1, anchor)
    return None


@dataclass(frozen=True)
class Hit:
    label: str  # what the pattern stands for (a finding, or a context trigger)
    start: int  # token span [start, end)
    end: int
    group: int = 0  # which of the lexicon's groups of entries the pattern came from


# label, its tests, whether it has gaps or optional words, and the words it cannot match without: for each
# later test that must match a plain word, the words it accepts (a message with none of them is skipped),
# a bit mask of those and of its later stem tests (one bit per distinct test: see Lexicon.__init__), its group,
# and (for a pattern of plain words only, no gap) the words each test after the first accepts.
_GapPlan = tuple[tuple[_Test, ...], int, tuple[_Test, ...]]
# (`gapped` is the pattern's one-gap plan when it has one (see _match_gap), True for any other gapped pattern.)
_Entry = tuple[str, tuple["_Test", ...], "_GapPlan | bool", tuple[frozenset[str], ...], int, int,
               "tuple[frozenset[str], ...] | None", tuple[tuple[frozenset[str], ...], tuple[frozenset[str], ...]]]


_STEM_RANK = 1 << 40  # stems after plain words, numbers before them (the order hits were always listed in)
_SPLIT_MIN = 6  # a word that starts more patterns than this has them indexed by a word they need
_Ranked = tuple[int, "_Entry"]


class Lexicon:
    """Many labelled patterns, matched together over a message's tokens. Several groups of entries (findings,
    context triggers) are matched in one pass; each hit says its group."""

    def __init__(self, *groups: Iterable[tuple[str, str]]) -> None:
        # Each entry has a rank: the order its hits are listed in among hits of the same length at a position.
        self._by_word: dict[str, list[tuple[int, _Entry]]] = {}
        self._by_pair: dict[tuple[str, str], list[tuple[int, _Entry]]] = {}  # plain first and second words
        self._by_stem: dict[str, list[tuple[int, _Entry]]] = {}  # a token's prefixes of these lengths are looked up
        self._by_number: list[tuple[int, _Entry]] = []
        # A pattern's needed words as bits: a bit stands for a distinct set of words some test accepts (or a
        # distinct stem test: see below), and a word sets the bits of every set it is in. A message's bits are
        # those of its words; a pattern can match only if the message has all of the pattern's bits (one
        # integer test, not one per set).
        bit_of: dict[frozenset[str], int] = {}
        stem_bit_of: dict[tuple[frozenset[str], tuple[str, ...]], int] = {}
        self._word_bits: dict[str, int] = {}
        self._stem_bits: dict[str, int] = {}
        for index, (group, label, pattern) in enumerate(_plain_patterns(groups)):
            tests = _parse(pattern)
            gapped = any(t.gap or t.optional for t in tests)
            needs = tuple(t.exact for t in tests[1:] if t.exact and not (t.stems or t.number or t.optional or t.gap))
            mask = 0
            for words in needs:
                if words not in bit_of:
                    bit_of[words] = 1 << (len(bit_of) + len(stem_bit_of))
                    for word in words:
                        self._word_bits[word] = self._word_bits.get(word, 0) | bit_of[words]
                mask |= bit_of[words]
            # A later test that must match a stem ("shak*", "blue|azul*") has a bit too: set by its words, and
            # by any token that starts with one of its stems.
            for test in tests[1:]:
                if test.stems and not (test.number or test.optional or test.gap):
                    key = (test.exact, test.stems)
                    if key not in stem_bit_of:
                        bit = stem_bit_of[key] = 1 << (len(bit_of) + len(stem_bit_of))
                        for word in test.exact:
                            self._word_bits[word] = self._word_bits.get(word, 0) | bit
                        for stem in test.stems:
                            self._stem_bits[stem] = self._stem_bits.get(stem, 0) | bit
                    mask |= stem_bit_of[key]
            words_only = None if gapped or any(t.stems or t.number for t in tests[1:]) else \
                tuple(t.exact for t in tests[1:])
            # The needed words a pattern is indexed by, most telling first (after the first word; after the first
            # two, for a pattern indexed by its first two words, whose second word is needs[0]).
            telling = (tuple(sorted(needs, key=_specificity, reverse=True)),
                       tuple(sorted(needs[1:], key=_specificity, reverse=True)))
            entry = (label, tests, (_gap_plan(tests) or True) if gapped else False, needs, mask, group, words_only,
                     telling)
            first = tests[0]
            second = tests[1] if len(tests) > 1 else None
            paired = (second is not None and second.exact and not (second.stems or second.number or second.optional
                                                                     or second.gap) and not first.number)
            for word in first.exact:
                if paired and not word[:1].isdigit():
                    for next_word in second.exact:  # type: ignore[union-attr]
                        self._by_pair.setdefault((word, next_word), []).append((index, entry))
                else:
                    self._by_word.setdefault(word, []).append((index, entry))
            for stem in first.stems:
                self._by_stem.setdefault(stem, []).append((_STEM_RANK + index, entry))
            if first.number:
                self._by_number.append((index - _STEM_RANK, entry))
        self._stem_lengths = sorted({len(stem) for stem in self._by_stem})
        self._stem_bit_lengths = sorted({len(stem) for stem in self._stem_bits})
        self._token_bits: dict[str, int] = {}
        self._pair_firsts = frozenset(first for first, _ in self._by_pair)
        # Pairs such as "when i" or "se le" start hundreds of patterns: indexed again by the next words they need.
        self._pair_split = {pair: _Tree.of(ranked, 1, 0) for pair, ranked in self._by_pair.items()}
        self._split_cache: dict[str, _Tree | None] = {}
        self._word_parts: dict[str, _Tree] = {}  # (bounded by the vocabulary: keys are written words and stems)
        self._stem_parts: dict[str, _Tree] = {}
        self._number_part = _Tree.of(self._by_number, 0, 0)

    def _bits_of(self, token: str) -> int:
        """The bits a token sets: those of the word, and of each stem it starts with."""
        bits = self._word_bits.get(token, 0)
        stem_bits = self._stem_bits
        for size in self._stem_bit_lengths:
            if size > len(token):
                break
            bits |= stem_bits.get(token[:size], 0)
        if len(self._token_bits) < 50_000:
            self._token_bits[token] = bits
        return bits

    def _split(self, token: str) -> _Tree | None:
        """The patterns starting with `token`: those that need no other word, and (for a word that starts many,
        such as "not" or "legs") the rest indexed by the words they cannot do without, so a message is checked only
        against the patterns whose needed words it holds. None when no pattern starts with it."""
        if token in self._split_cache:
            return self._split_cache[token]
        # The token's own patterns and those of each stem it starts with, each split once for all tokens.
        parts: list[_Tree] = []
        if token in self._by_word:
            parts.append(self._part(self._word_parts, self._by_word, token))
        if token[:1].isdigit():
            parts.append(self._number_part)
        else:
            for size in self._stem_lengths:  # one look-up per stem length, not one test per stem
                if size > len(token):
                    break
                if token[:size] in self._by_stem:
                    parts.append(self._part(self._stem_parts, self._by_stem, token[:size]))
        found = None if not parts else parts[0] if len(parts) == 1 else _Tree.joined(parts)
        if len(self._split_cache) < 50_000:
            self._split_cache[token] = found
        return found

    @staticmethod
    def _part(parts: dict[str, _Tree], index: dict[str, list[_Ranked]], key: str) -> _Tree:
        part = parts.get(key)
        if part is None:
            part = parts[key] = _Tree.of(index[key], 0, 0)
        return part

    def find(self, words: tuple[str, ...]) -> list[Hit]:
        """Every match, longest first at each position."""
        present = frozenset(words)
        bits = 0
        token_bits, of_token = self._token_bits, self._bits_of
        for word in present:
            found_bits = token_bits.get(word)
            bits |= of_token(word) if found_bits is None else found_bits
        found: list[Hit] = []
        count = len(words)
        last = count - 1
        split_cache, pair_split, pair_firsts = self._split_cache, self._pair_split, self._pair_firsts
        for i, token in enumerate(words):
            if token in split_cache:
                tree = split_cache[token]
            elif token in BREAKS:
                continue
            else:
                tree = self._split(token)
            candidates: list[_Ranked] = []
            if tree is not None:
                tree.collect(present, candidates)
            if i < last and token in pair_firsts:
                paired = pair_split.get((token, words[i + 1]))
                if paired is not None:
                    paired.collect(present, candidates)
            if not candidates:
                continue
            hits: list[tuple[int, int, Hit]] = []
            for rank, entry in candidates:
                mask = entry[4]
                if mask & bits != mask:
                    continue  # a word the pattern cannot do without is nowhere in the message
                label, tests, gapped, _, _, group, words_only, _ = entry
                # (the first test accepts `token`: that is how the pattern was found)
                if words_only is not None:
                    stop = i + 1 + len(words_only)
                    if stop > count:
                        continue
                    at = i + 1
                    for accepted in words_only:
                        if words[at] not in accepted:
                            break
                        at += 1
                    else:
                        hits.append((i - stop, rank, Hit(label, i, stop, group)))
                    continue
                if gapped is False:
                    end = _match_simple(tests, words, i)
                elif gapped is True:
                    end = _match(tests, words, i + 1, 1, words[i])
                else:
                    end = _match_gap(gapped, words, i)
                if end is not None:
                    hits.append((i - end, rank, Hit(label, i, end, group)))
            if len(hits) == 1:
                found.append(hits[0][2])
            elif hits:
                hits.sort(key=_by_length_then_rank)
                # Each hit once: a pattern may be reached twice (by a word and by a stem, or by two of its words),
                # and two patterns of one label may match the same words.
                seen: set[tuple[str, int, int]] = set()
                for _, _, hit in hits:
                    key = (hit.label, hit.end, hit.group)
                    if key not in seen:
                        seen.add(key)
                        found.append(hit)
        return found


def _by_length_then_rank(hit: tuple[int, int, Hit]) -> tuple[int, int]:
    return hit[0], hit[1]


class _Tree:
    """Patterns indexed by the words they need: `plain` need no further word; `by_word[w]` holds (as a tree again)
    those that need w next. A message reaches a pattern only when it holds every word on the way."""

    __slots__ = ("plain", "by_word")

    def __init__(self, plain: list[_Ranked], by_word: dict[str, _Tree] | None) -> None:
        self.plain = plain
        self.by_word = by_word

    @staticmethod
    def of(candidates: list[_Ranked], order: int, depth: int) -> _Tree:
        """Patterns whose first `depth` telling words (of their order: 0 all needed words, 1 those after a pair's
        second word) are in place, split by the next one when there are many of them."""
        if len(candidates) <= _SPLIT_MIN:
            return _Tree(candidates, None)
        plain: list[_Ranked] = []
        by_word: dict[str, list[_Ranked]] = {}
        for ranked in candidates:
            telling = ranked[1][7][order]
            if len(telling) <= depth:
                plain.append(ranked)
            else:
                for word in telling[depth]:
                    by_word.setdefault(word, []).append(ranked)
        if not by_word:
            return _Tree(plain, None)
        return _Tree(plain, {word: _Tree.of(group, order, depth + 1) for word, group in by_word.items()})

    @staticmethod
    def joined(trees: list[_Tree]) -> _Tree:
        """Several trees as one (a token that is a word and starts with stems, each with its own patterns)."""
        plain = [ranked for tree in trees for ranked in tree.plain]
        by_word: dict[str, list[_Tree]] = {}
        for tree in trees:
            for word, child in (tree.by_word or {}).items():
                by_word.setdefault(word, []).append(child)
        if not by_word:
            return _Tree(plain, None)
        return _Tree(plain, {word: group[0] if len(group) == 1 else _Tree.joined(group)
                             for word, group in by_word.items()})

    def collect(self, present: frozenset[str], out: list[_Ranked]) -> None:
        """Add the patterns whose needed words on the way are all in `present`."""
        out += self.plain
        by_word = self.by_word
        if by_word is not None:
            for word in by_word.keys() & present:  # (walks the smaller of the two)
                by_word[word].collect(present, out)


@lru_cache(maxsize=1 << 16)
def _specificity(words: frozenset[str]) -> int:
    """How seldom a message holds one of these words, roughly: short words ("the", "she", "y") are common."""
    return min(len(word) for word in words)
