//! Tags: the name and value pairs every sample carries, and the interned
//! tag sets that samples point to.
//!
//! A VU describes a sample's tags as a [`TagList`] of borrowed strings;
//! [`TagSets::intern`] turns that into a small [`TagSetId`], once per
//! distinct set in the run. Samples then carry only the id, aggregates are
//! kept per id, and a sub-metric such as
//! `http_req_duration{status:200}` is the merge of the sets its
//! [`TagFilter`] matches.
//!
//! Distinct values cost memory for the rest of the run, so two caps keep a
//! scenario from eating it: past [`MAX_URLS`] distinct `url` tags, new
//! URLs are tagged [`OTHER`] (a request's own `name` is kept), and past
//! [`MAX_TAG_SETS`] new sets fall into one overflow set. Each cap warns
//! once.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::BuildHasher;
use std::sync::{Arc, RwLock};

use smallvec::SmallVec;

/// Distinct `url` tag values kept apart; later URLs share [`OTHER`].
pub const MAX_URLS: usize = 1000;
/// Distinct tag sets kept apart; later sets share the overflow set.
pub const MAX_TAG_SETS: usize = 20_000;
/// The `url` (and default `name`) of requests past the URL cap.
pub const OTHER: &str = "[other]";

/// The tags a run puts on samples besides each sample's own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagConfig {
    /// The system tags to record (`--system-tags`).
    pub system: super::SystemTags,
    /// Tags on every sample of the test (`--tag`, the `tags` option).
    pub test: Vec<(String, String)>,
}

/// An interned tag set's index in [`TagSets`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct TagSetId(pub u32);

impl TagSetId {
    /// The set with no tags.
    pub const EMPTY: TagSetId = TagSetId(0);
}

/// Tags by name, sorted, each name once.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct TagSet(Arc<[(Arc<str>, Arc<str>)]>);

impl TagSet {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .binary_search_by(|(k, _)| (**k).cmp(name))
            .ok()
            .map(|i| &*self.0[i].1)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (&**k, &**v))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn same(&self, list: &[(&str, &str)]) -> bool {
        self.0.len() == list.len()
            && self
                .0
                .iter()
                .zip(list)
                .all(|((k, v), (lk, lv))| **k == **lk && **v == **lv)
    }
}

/// A sample's tags while a VU assembles them: later values of a name
/// replace earlier ones, so test-wide tags go first and the request's own
/// last. Up to 16 tags live on the stack: a request allocates nothing to
/// find its tag set.
#[derive(Debug, Default)]
pub struct TagList<'a> {
    tags: SmallVec<[(&'a str, &'a str); 16]>,
}

impl<'a> TagList<'a> {
    /// Sets a tag; a name set twice keeps its last value, which is
    /// settled when the list is sealed, not searched for here.
    pub fn set(&mut self, name: &'a str, value: &'a str) {
        self.tags.push((name, value));
    }

    pub fn extend<I: IntoIterator<Item = (&'a str, &'a str)>>(&mut self, tags: I) {
        for (k, v) in tags {
            self.set(k, v);
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&'a str, &'a str)> + '_ {
        self.tags.iter().copied()
    }

    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.tags
            .iter()
            .rev()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| *v)
    }

    /// Sorts the tags by name, keeps each name's last value, and returns
    /// the list's hash, ready to look up.
    fn seal(&mut self) -> u64 {
        // Stable: a name's values stay in the order they were set.
        self.tags.sort_by(|a, b| a.0.cmp(b.0));
        let tags = &mut self.tags;
        let mut kept = 0;
        for i in 0..tags.len() {
            if i + 1 < tags.len() && tags[i + 1].0 == tags[i].0 {
                continue;
            }
            tags[kept] = tags[i];
            kept += 1;
        }
        tags.truncate(kept);
        HASHER.hash_one(&self.tags)
    }
}

/// One fixed, fast hasher, so a VU's cached hashes match the table's.
/// Tag values come from the scenario, not from an adversary the table
/// must resist, and a collision costs only a comparison.
const HASHER: foldhash::fast::FixedState = foldhash::fast::FixedState::with_seed(0x5eed);

/// Every tag set of the run.
#[derive(Debug)]
pub struct TagSets {
    inner: RwLock<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    sets: Vec<TagSet>,
    /// Hash of the sorted list to the ids with that hash.
    by_hash: HashMap<u64, Vec<TagSetId>>,
    urls: HashSet<Arc<str>>,
    /// Interned strings: a value seen in many sets is stored once.
    strings: HashSet<Arc<str>>,
    warned_urls: bool,
    overflow: Option<TagSetId>,
}

impl Default for TagSets {
    fn default() -> Self {
        let mut inner = Inner::default();
        inner.sets.push(TagSet::default());
        let mut list = TagList::default();
        inner.by_hash.insert(list.seal(), vec![TagSetId::EMPTY]);
        TagSets {
            inner: RwLock::new(inner),
        }
    }
}

impl TagSets {
    /// The id of the set `list` describes, made on first sight.
    pub fn intern(&self, list: &mut TagList<'_>) -> TagSetId {
        self.cap_url(list);
        let hash = list.seal();
        if let Some(id) = self.find(hash, list) {
            return id;
        }
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        if let Some(id) = inner.lookup(hash, list) {
            return id;
        }
        if inner.sets.len() >= MAX_TAG_SETS {
            return inner.overflow();
        }
        if let Some(url) = list.get("url")
            && !inner.urls.contains(url)
        {
            let url = inner.string(url);
            inner.urls.insert(url);
        }
        let set: Vec<_> = list
            .tags
            .iter()
            .map(|(k, v)| (inner.string(k), inner.string(v)))
            .collect();
        inner.insert(hash, TagSet(set.into()))
    }

    /// A VU's cheap second look: the id of `list` if it is already known.
    fn find(&self, hash: u64, list: &TagList<'_>) -> Option<TagSetId> {
        let inner = self.inner.read().unwrap_or_else(|e| e.into_inner());
        inner.lookup(hash, list)
    }

    /// Past the URL cap, a new URL is tagged [`OTHER`], and so is a
    /// `name` that only repeated it.
    fn cap_url(&self, list: &mut TagList<'_>) {
        let Some(url) = list.get("url") else { return };
        {
            let inner = self.inner.read().unwrap_or_else(|e| e.into_inner());
            if inner.urls.len() < MAX_URLS || inner.urls.contains(url) {
                return;
            }
        }
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        if !inner.warned_urls {
            inner.warned_urls = true;
            tracing::warn!(
                "more than {MAX_URLS} distinct URLs: requests to new ones are tagged \
                 `url:{OTHER}` in the results\nhint: give requests that differ only by ids a \
                 `name`, whose figures stay exact"
            );
        }
        if list.get("name") == Some(url) {
            list.set("name", OTHER);
        }
        list.set("url", OTHER);
    }

    pub fn get(&self, id: TagSetId) -> TagSet {
        let inner = self.inner.read().unwrap_or_else(|e| e.into_inner());
        inner.sets.get(id.0 as usize).cloned().unwrap_or_default()
    }

    /// Every set so far, by id.
    pub fn all(&self) -> Vec<TagSet> {
        let inner = self.inner.read().unwrap_or_else(|e| e.into_inner());
        inner.sets.clone()
    }

    /// How many sets there are, the empty one included.
    pub fn count(&self) -> usize {
        let inner = self.inner.read().unwrap_or_else(|e| e.into_inner());
        inner.sets.len()
    }

    /// The id of the set `list` describes, looked up in a VU's `cache`
    /// first, which holds the sets the VU used last without a lock.
    pub fn intern_cached(&self, list: &mut TagList<'_>, cache: &mut TagCache) -> TagSetId {
        let hash = list.seal();
        if let Some(id) = cache.find(hash, list) {
            return id;
        }
        let id = self.intern(list);
        cache.remember(hash, self.get(id), id);
        id
    }
}

/// The tag sets a VU used last, so that a repeated request finds its set
/// without taking the run's lock.
#[derive(Debug, Default)]
pub struct TagCache {
    entries: Vec<(u64, TagSet, TagSetId)>,
    next: usize,
}

impl TagCache {
    const SIZE: usize = 8;

    fn find(&self, hash: u64, list: &TagList<'_>) -> Option<TagSetId> {
        self.entries
            .iter()
            .find(|(h, set, _)| *h == hash && set.same(&list.tags))
            .map(|(_, _, id)| *id)
    }

    fn remember(&mut self, hash: u64, set: TagSet, id: TagSetId) {
        if self.entries.len() < Self::SIZE {
            self.entries.push((hash, set, id));
        } else {
            self.entries[self.next] = (hash, set, id);
            self.next = (self.next + 1) % Self::SIZE;
        }
    }
}

impl Inner {
    fn lookup(&self, hash: u64, list: &TagList<'_>) -> Option<TagSetId> {
        self.by_hash
            .get(&hash)?
            .iter()
            .copied()
            .find(|id| self.sets[id.0 as usize].same(&list.tags))
    }

    fn insert(&mut self, hash: u64, set: TagSet) -> TagSetId {
        let id = TagSetId(self.sets.len() as u32);
        self.sets.push(set);
        self.by_hash.entry(hash).or_default().push(id);
        id
    }

    fn string(&mut self, s: &str) -> Arc<str> {
        if let Some(found) = self.strings.get(s) {
            return found.clone();
        }
        let s: Arc<str> = s.into();
        self.strings.insert(s.clone());
        s
    }

    fn overflow(&mut self) -> TagSetId {
        if let Some(id) = self.overflow {
            return id;
        }
        tracing::warn!(
            "more than {MAX_TAG_SETS} distinct tag sets: samples with new ones are tagged \
             `overflow:true` only\nhint: tags whose values never repeat (ids, times) belong in \
             the scenario's logic, not in tags"
        );
        let mut list = TagList::default();
        list.set("overflow", "true");
        let hash = list.seal();
        let set = TagSet(vec![(self.string("overflow"), self.string("true"))].into());
        let id = self.insert(hash, set);
        self.overflow = Some(id);
        id
    }
}

/// The tags a sub-metric selects, as in `http_req_duration{status:200}`:
/// a set matches when it has every one of them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct TagFilter(Vec<(String, String)>);

impl TagFilter {
    pub fn new(mut tags: Vec<(String, String)>) -> Self {
        tags.sort();
        tags.dedup();
        TagFilter(tags)
    }

    /// Splits `name{key:value,...}` into the metric's name and the filter;
    /// a name without braces has an empty filter.
    pub fn split(text: &str) -> Result<(&str, TagFilter), String> {
        let text = text.trim();
        let Some((name, rest)) = text.split_once('{') else {
            return Ok((text, TagFilter::default()));
        };
        let inner = rest.strip_suffix('}').ok_or_else(|| {
            format!("`{text}` has no closing `}}`: write tags as `{{key:value,...}}`")
        })?;
        let mut tags = Vec::new();
        for pair in inner.split(',').filter(|p| !p.trim().is_empty()) {
            let (k, v) = pair
                .split_once(':')
                .ok_or_else(|| format!("`{}` in `{text}` is not `key:value`", pair.trim()))?;
            let unquote = |s: &str| {
                let s = s.trim();
                s.strip_prefix('"')
                    .and_then(|s| s.strip_suffix('"'))
                    .unwrap_or(s)
                    .to_owned()
            };
            let key = unquote(k);
            if key.is_empty() {
                return Err(format!("`{}` in `{text}` has no tag name", pair.trim()));
            }
            tags.push((key, unquote(v)));
        }
        if tags.is_empty() {
            return Err(format!("`{text}` selects no tags"));
        }
        Ok((name.trim(), TagFilter::new(tags)))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn matches(&self, set: &TagSet) -> bool {
        self.0.iter().all(|(k, v)| set.get(k) == Some(v.as_str()))
    }

    pub fn tags(&self) -> &[(String, String)] {
        &self.0
    }
}

impl fmt::Display for TagFilter {
    /// k6's sub-metric suffix: `{status:200,scenario:browse}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return Ok(());
        }
        f.write_str("{")?;
        for (i, (k, v)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{k}:{v}")?;
        }
        f.write_str("}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intern(sets: &TagSets, tags: &[(&str, &str)]) -> TagSetId {
        let mut list = TagList::default();
        list.extend(tags.iter().copied());
        sets.intern(&mut list)
    }

    /// `cargo test --release -p barrage --lib tag_set_cost -- --ignored
    /// --nocapture`: what finding a request's tag set costs a VU.
    #[test]
    #[ignore = "a measurement, not a check"]
    fn tag_set_cost() {
        let sets = TagSets::default();
        let mut cache = TagCache::default();
        let urls = ["http://127.0.0.1:8080/a", "http://127.0.0.1:8080/b"];
        const N: u32 = 2_000_000;
        let start = std::time::Instant::now();
        for i in 0..N {
            let url = urls[(i % 2) as usize];
            let mut list = TagList::default();
            list.set("scenario", "default");
            list.set("group", "");
            list.set("method", "GET");
            list.set("url", url);
            list.set("name", url);
            list.set("status", "200");
            list.set("proto", "HTTP/1.1");
            list.set("expected_response", "true");
            std::hint::black_box(sets.intern_cached(&mut list, &mut cache));
        }
        let ns = start.elapsed().as_nanos() / u128::from(N);
        println!("{ns} ns to find a request's tag set");
    }

    #[test]
    fn the_same_tags_in_any_order_are_one_set() {
        let sets = TagSets::default();
        let a = intern(&sets, &[("method", "GET"), ("status", "200")]);
        let b = intern(&sets, &[("status", "200"), ("method", "GET")]);
        let c = intern(&sets, &[("status", "404"), ("method", "GET")]);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(intern(&sets, &[]), TagSetId::EMPTY);
        assert_eq!(sets.get(a).get("status"), Some("200"));
        assert_eq!(sets.count(), 3);
    }

    #[test]
    fn later_values_replace_earlier_ones() {
        let sets = TagSets::default();
        let id = intern(&sets, &[("kind", "test"), ("kind", "request")]);
        let set = sets.get(id);
        assert_eq!(set.iter().collect::<Vec<_>>(), [("kind", "request")]);
    }

    #[test]
    fn urls_past_the_cap_share_one_tag_and_keep_their_name() {
        let sets = TagSets::default();
        for i in 0..MAX_URLS {
            let url = format!("http://127.0.0.1/item/{i}");
            intern(&sets, &[("url", &url), ("name", &url)]);
        }
        let known = intern(&sets, &[("url", "http://127.0.0.1/item/7")]);
        assert_eq!(sets.get(known).get("url"), Some("http://127.0.0.1/item/7"));
        let past = intern(
            &sets,
            &[
                ("url", "http://127.0.0.1/new"),
                ("name", "http://127.0.0.1/new"),
            ],
        );
        assert_eq!(sets.get(past).get("url"), Some(OTHER));
        assert_eq!(sets.get(past).get("name"), Some(OTHER));
        let named = intern(&sets, &[("url", "http://127.0.0.1/x"), ("name", "item")]);
        assert_eq!(sets.get(named).get("name"), Some("item"));
        assert_eq!(sets.get(named).get("url"), Some(OTHER));
    }

    #[test]
    fn sets_past_the_cap_overflow_into_one() {
        let sets = TagSets::default();
        let ids: Vec<_> = (0..MAX_TAG_SETS + 10)
            .map(|i| intern(&sets, &[("id", &i.to_string())]))
            .collect();
        assert_eq!(sets.count(), MAX_TAG_SETS + 1);
        let overflow = ids[MAX_TAG_SETS];
        assert!(ids[MAX_TAG_SETS..].iter().all(|&id| id == overflow));
        assert_eq!(sets.get(overflow).get("overflow"), Some("true"));
    }

    #[test]
    fn filters_split_from_names_and_match_subsets() {
        let (name, filter) =
            TagFilter::split("http_req_duration{status:200, group:::login}").unwrap();
        assert_eq!(name, "http_req_duration");
        assert_eq!(filter.to_string(), "{group:::login,status:200}");
        let sets = TagSets::default();
        let hit = intern(
            &sets,
            &[("status", "200"), ("group", "::login"), ("method", "GET")],
        );
        let miss = intern(&sets, &[("status", "200"), ("group", "")]);
        assert!(filter.matches(&sets.get(hit)));
        assert!(!filter.matches(&sets.get(miss)));
        let (_, quoted) = TagFilter::split(r#"checks{check:"status is 200"}"#).unwrap();
        assert_eq!(quoted.tags(), [("check".into(), "status is 200".into())]);
        assert!(TagFilter::split("x").unwrap().1.is_empty());
        for bad in ["x{", "x{status}", "x{}", "x{:1}"] {
            assert!(TagFilter::split(bad).is_err(), "{bad}");
        }
    }
}
