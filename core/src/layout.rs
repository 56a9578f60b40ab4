//! Where a floating card goes next to its target, after floating-ui's `computePosition` with
//! the `offset`, `flip`, `shift`, `arrow` and `hide` middleware: place it on the preferred side,
//! flip to the opposite (then the others) when it does not fit, shift it along its side to stay
//! inside the viewport without leaving its target, and point the arrow at the target's centre.
//! Pure arithmetic on rectangles in viewport coordinates; the browser layer measures and moves.

use crate::config::Placement;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

impl Rect {
    pub fn right(&self) -> f64 {
        self.x + self.width
    }

    pub fn bottom(&self) -> f64 {
        self.y + self.height
    }

    fn center_x(&self) -> f64 {
        self.x + self.width / 2.0
    }

    fn center_y(&self) -> f64 {
        self.y + self.height / 2.0
    }

    /// Whether no part of `self` is inside `other`.
    pub fn is_outside(&self, other: &Rect) -> bool {
        self.right() <= other.x || self.x >= other.right() || self.bottom() <= other.y || self.y >= other.bottom()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Top,
    Bottom,
    Left,
    Right,
}

impl Side {
    fn is_vertical(self) -> bool {
        matches!(self, Side::Top | Side::Bottom)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Side::Top => "top",
            Side::Bottom => "bottom",
            Side::Left => "left",
            Side::Right => "right",
        }
    }
}

/// Distances and sizes of the layout, in CSS pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LayoutOptions {
    /// Gap between the target and the card.
    pub offset: f64,
    /// Margin kept between the card and the viewport's edges.
    pub padding: f64,
    /// The arrow's length along the card's edge.
    pub arrow_size: f64,
    /// Margin kept between the arrow and the card's corners.
    pub arrow_padding: f64,
}

impl Default for LayoutOptions {
    fn default() -> Self {
        LayoutOptions { offset: 12.0, padding: 8.0, arrow_size: 14.0, arrow_padding: 10.0 }
    }
}

/// Where the card goes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Position {
    /// Top-left corner of the card, in viewport coordinates.
    pub x: f64,
    pub y: f64,
    /// The side of the target the card is on.
    pub side: Side,
    /// Distance of the arrow from the card's left (top/bottom) or top (left/right) edge.
    pub arrow: f64,
    /// The target is entirely outside the visible area: hide the card.
    pub target_hidden: bool,
}

fn coordinates(target: &Rect, card: &Rect, side: Side, offset: f64) -> (f64, f64) {
    match side {
        Side::Top => (target.center_x() - card.width / 2.0, target.y - card.height - offset),
        Side::Bottom => (target.center_x() - card.width / 2.0, target.bottom() + offset),
        Side::Left => (target.x - card.width - offset, target.center_y() - card.height / 2.0),
        Side::Right => (target.right() + offset, target.center_y() - card.height / 2.0),
    }
}

/// How far a card at (x, y) overflows the viewport on its main axis (the side it sits on).
fn main_axis_overflow(x: f64, y: f64, card: &Rect, viewport: &Rect, side: Side, padding: f64) -> f64 {
    let overflow = match side {
        Side::Top => viewport.y + padding - y,
        Side::Bottom => y + card.height - (viewport.bottom() - padding),
        Side::Left => viewport.x + padding - x,
        Side::Right => x + card.width - (viewport.right() - padding),
    };
    overflow.max(0.0)
}

/// The sides to try, in order: the preferred one, its opposite, then the other two.
fn sides_to_try(preferred: Placement) -> [Side; 4] {
    match preferred {
        Placement::Top => [Side::Top, Side::Bottom, Side::Right, Side::Left],
        Placement::Left => [Side::Left, Side::Right, Side::Bottom, Side::Top],
        Placement::Right => [Side::Right, Side::Left, Side::Bottom, Side::Top],
        Placement::Bottom | Placement::Auto => [Side::Bottom, Side::Top, Side::Right, Side::Left],
    }
}

fn clamp(value: f64, min: f64, max: f64) -> f64 {
    // Not `f64::clamp`, which panics when `max < min` and, for that message, brings float
    // formatting into the SDK's wasm.
    if max < min { min } else { value.max(min).min(max) }
}

/// Places a card of `size` (its x and y ignored) next to `target` inside `viewport`. `visible` is
/// the area the target can be seen in (the viewport clipped by its scroll containers).
pub fn compute_position(
    target: Rect,
    size: Rect,
    viewport: Rect,
    visible: Rect,
    preferred: Placement,
    options: LayoutOptions,
) -> Position {
    // flip: the first side without overflow on its main axis, else the one overflowing least.
    let mut best: Option<(Side, f64, f64, f64)> = None;
    for side in sides_to_try(preferred) {
        let (x, y) = coordinates(&target, &size, side, options.offset);
        let overflow = main_axis_overflow(x, y, &size, &viewport, side, options.padding);
        if overflow == 0.0 {
            best = Some((side, x, y, 0.0));
            break;
        }
        if best.is_none_or(|(_, _, _, least)| overflow < least) {
            best = Some((side, x, y, overflow));
        }
    }
    let (side, mut x, mut y, overflow) = best.unwrap_or((Side::Bottom, target.x, target.bottom(), 0.0));
    // No side has room (a target about as large as the viewport): the card goes over the
    // target, inside the viewport, rather than off screen.
    if overflow > 0.0 {
        if side.is_vertical() {
            y = clamp(y, viewport.y + options.padding, viewport.bottom() - options.padding - size.height);
        } else {
            x = clamp(x, viewport.x + options.padding, viewport.right() - options.padding - size.width);
        }
    }

    // shift: along the side, not past the target's far edges minus the arrow's room (floating-ui's
    // limitShift) so the card stays attached, and then inside the viewport, which wins: a card
    // that cannot be seen helps nobody.
    let attach = options.arrow_padding + options.arrow_size / 2.0;
    if side.is_vertical() {
        let attached = clamp(x, target.x - size.width + attach, target.right() - attach);
        x = clamp(attached, viewport.x + options.padding, viewport.right() - options.padding - size.width);
    } else {
        let attached = clamp(y, target.y - size.height + attach, target.bottom() - attach);
        y = clamp(attached, viewport.y + options.padding, viewport.bottom() - options.padding - size.height);
    }

    // arrow: at the target's centre, kept off the card's corners.
    let (center, start, length) =
        if side.is_vertical() { (target.center_x(), x, size.width) } else { (target.center_y(), y, size.height) };
    let arrow = clamp(
        center - start - options.arrow_size / 2.0,
        options.arrow_padding,
        length - options.arrow_size - options.arrow_padding,
    );

    // hide: a target scrolled out of sight takes its card with it.
    let target_hidden = target.is_outside(&visible);
    Position { x, y, side, arrow, target_hidden }
}

/// A card centred in the viewport (a step without a target, or shown centred by policy).
pub fn center(size: Rect, viewport: Rect) -> (f64, f64) {
    (viewport.x + (viewport.width - size.width) / 2.0, viewport.y + (viewport.height - size.height) / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const VIEWPORT: Rect = Rect { x: 0.0, y: 0.0, width: 1000.0, height: 800.0 };
    const CARD: Rect = Rect { x: 0.0, y: 0.0, width: 300.0, height: 150.0 };

    fn place(target: Rect, preferred: Placement) -> Position {
        compute_position(target, CARD, VIEWPORT, VIEWPORT, preferred, LayoutOptions::default())
    }

    fn rect(x: f64, y: f64, width: f64, height: f64) -> Rect {
        Rect { x, y, width, height }
    }

    #[test]
    fn the_preferred_side_when_it_fits_centred_with_the_offset() {
        let target = rect(400.0, 300.0, 100.0, 40.0);
        let below = place(target, Placement::Bottom);
        assert_eq!((below.side, below.x, below.y), (Side::Bottom, 300.0, 352.0));
        assert_eq!(below.arrow, 150.0 - 7.0, "the arrow points at the target's centre");
        let above = place(target, Placement::Top);
        assert_eq!((above.side, above.y), (Side::Top, 300.0 - 150.0 - 12.0));
        let right = place(target, Placement::Right);
        assert_eq!((right.side, right.x, right.y), (Side::Right, 512.0, 245.0));
        let left = place(target, Placement::Left);
        assert_eq!((left.side, left.x), (Side::Left, 400.0 - 300.0 - 12.0));
    }

    #[test]
    fn flips_to_the_opposite_side_when_the_preferred_one_has_no_room() {
        let near_bottom = rect(400.0, 700.0, 100.0, 40.0);
        assert_eq!(place(near_bottom, Placement::Bottom).side, Side::Top);
        let near_top = rect(400.0, 20.0, 100.0, 40.0);
        assert_eq!(place(near_top, Placement::Top).side, Side::Bottom);
        let near_right = rect(900.0, 300.0, 50.0, 40.0);
        assert_eq!(place(near_right, Placement::Right).side, Side::Left);
    }

    #[test]
    fn tries_the_other_axis_when_neither_side_fits() {
        // A tall target filling the viewport's height: no room above or below.
        let tall = rect(100.0, 10.0, 100.0, 780.0);
        assert_eq!(place(tall, Placement::Bottom).side, Side::Right);
    }

    #[test]
    fn a_target_as_large_as_the_viewport_gets_its_card_over_it_inside_the_viewport() {
        let huge = rect(50.0, -40.0, 900.0, 860.0);
        let position = place(huge, Placement::Top);
        assert!(position.y >= 8.0 && position.y + CARD.height <= 792.0, "{position:?}");
        assert!(position.x >= 8.0 && position.x + CARD.width <= 992.0, "{position:?}");
    }

    #[test]
    fn shifts_inside_the_viewport_and_keeps_the_arrow_on_the_target() {
        let near_left_edge = rect(30.0, 300.0, 40.0, 40.0);
        let position = place(near_left_edge, Placement::Bottom);
        assert_eq!(position.x, 8.0, "kept 8px from the edge");
        assert!(
            (position.x + position.arrow + 7.0 - 50.0).abs() < 1e-9,
            "the arrow still points at the target's centre"
        );
        let at_left_edge = rect(0.0, 300.0, 20.0, 40.0);
        assert_eq!(place(at_left_edge, Placement::Bottom).arrow, 10.0, "the arrow keeps off the card's corner");
        let at_right_edge = rect(980.0, 300.0, 20.0, 40.0);
        let position = place(at_right_edge, Placement::Bottom);
        assert_eq!(position.x + CARD.width, 992.0);
    }

    #[test]
    fn a_target_leaving_the_viewport_keeps_its_card_visible_and_pointing_its_way() {
        // Target mostly out on the left: the card stays in view, its arrow as near as it can be.
        let leaving = rect(-90.0, 300.0, 100.0, 40.0);
        let position = place(leaving, Placement::Bottom);
        assert_eq!((position.x, position.arrow), (8.0, 10.0));
        assert!(!position.target_hidden);
        let partly_out = rect(-20.0, 300.0, 100.0, 40.0);
        let position = place(partly_out, Placement::Bottom);
        assert!(position.x <= partly_out.right() - 17.0, "still attached: {position:?}");
        let gone = rect(-200.0, 300.0, 100.0, 40.0);
        assert!(place(gone, Placement::Bottom).target_hidden);
    }

    #[test]
    fn a_target_clipped_by_its_scroll_container_is_hidden() {
        let container = rect(100.0, 100.0, 300.0, 200.0);
        let scrolled_out = rect(150.0, 320.0, 100.0, 40.0);
        let position =
            compute_position(scrolled_out, CARD, VIEWPORT, container, Placement::Bottom, LayoutOptions::default());
        assert!(position.target_hidden);
    }

    #[test]
    fn centring_in_the_viewport() {
        assert_eq!(center(CARD, VIEWPORT), (350.0, 325.0));
    }

    proptest! {
        #[test]
        fn a_card_that_fits_somewhere_stays_inside_the_viewport(
            x in 0.0f64..980.0, y in 0.0f64..780.0, width in 1.0f64..200.0, height in 1.0f64..100.0,
        ) {
            let target = rect(x, y, width.min(1000.0 - x), height.min(800.0 - y));
            let position = place(target, Placement::Auto);
            let (card_right, card_bottom) = (position.x + CARD.width, position.y + CARD.height);
            prop_assert!(position.x >= 8.0 && card_right <= 992.0, "{:?} for {:?}", position, target);
            prop_assert!(position.y >= 8.0 && card_bottom <= 792.0, "{:?} for {:?}", position, target);
            let overlaps = position.x < target.right() && card_right > target.x && position.y < target.bottom() && card_bottom > target.y;
            prop_assert!(!overlaps, "{:?} covers {:?}", position, target);
        }
    }
}
