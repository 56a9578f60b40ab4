//! The SDK's own words on screen (close, back, next, the survey's scale...), in English and
//! Japanese; the config's texts come from the config.

pub(crate) struct Strings {
    pub(crate) close: &'static str,
    pub(crate) back: &'static str,
    pub(crate) next: &'static str,
    pub(crate) done: &'static str,
    /// Put between a step's number and the number of steps: "2 of 5".
    pub(crate) of: &'static str,
    pub(crate) new_badge: &'static str,
    pub(crate) item_done: &'static str,
    pub(crate) dismiss_checklist: &'static str,
    pub(crate) submit: &'static str,
    pub(crate) skip: &'static str,
    pub(crate) thanks: &'static str,
    pub(crate) not_likely: &'static str,
    pub(crate) very_likely: &'static str,
    pub(crate) very_unsatisfied: &'static str,
    pub(crate) very_satisfied: &'static str,
}

const ENGLISH: Strings = Strings {
    close: "Close",
    back: "Back",
    next: "Next",
    done: "Done",
    of: "of",
    new_badge: "New",
    item_done: "done",
    dismiss_checklist: "Dismiss the checklist",
    submit: "Send",
    skip: "Skip",
    thanks: "Thank you!",
    not_likely: "Not likely",
    very_likely: "Very likely",
    very_unsatisfied: "Very unsatisfied",
    very_satisfied: "Very satisfied",
};

const JAPANESE: Strings = Strings {
    close: "閉じる",
    back: "戻る",
    next: "次へ",
    done: "完了",
    of: "/",
    new_badge: "新機能",
    item_done: "完了",
    dismiss_checklist: "チェックリストを閉じる",
    submit: "送信",
    skip: "スキップ",
    thanks: "ありがとうございました！",
    not_likely: "可能性は低い",
    very_likely: "可能性は高い",
    very_unsatisfied: "とても不満",
    very_satisfied: "とても満足",
};

/// The words for `locale` (by its language), English when there are none.
pub(crate) fn strings(locale: &str) -> &'static Strings {
    let language = locale.split('-').next().unwrap_or_default();
    if language.eq_ignore_ascii_case("ja") { &JAPANESE } else { &ENGLISH }
}
