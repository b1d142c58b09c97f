//! Streams over paginated listings.

use std::future::Future;

use futures_util::stream::{self, Stream, TryStreamExt};

use crate::error::{Error, Result};

/// One page of a listing and the cursor of the next page, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T, C> {
    /// The page's items.
    pub items: Vec<T>,
    /// Where the next page starts (a page number, an object id, a URL);
    /// `None` on the last page.
    pub next: Option<C>,
}

/// The most pages one listing may have: a server whose cursor never ends is
/// stopped rather than followed forever.
const MAX_PAGES: usize = 100_000;

/// Every item of a paginated listing, as a stream: `fetch` is called with
/// `first`, then with each page's `next` cursor until there is none.
/// Pages are fetched one at a time, only as the stream is read. A cursor that
/// repeats the previous one ends the stream with [`Error::Decode`].
pub fn paginate<T, C, F, Fut>(first: C, fetch: F) -> impl Stream<Item = Result<T>>
where
    C: Clone + PartialEq,
    F: FnMut(C) -> Fut,
    Fut: Future<Output = Result<Page<T, C>>>,
{
    let state = (Some(first), None::<C>, fetch, 0usize);
    stream::try_unfold(state, |(cursor, previous, mut fetch, pages)| async move {
        let Some(cursor) = cursor else {
            return Ok(None);
        };
        if pages >= MAX_PAGES || previous.as_ref() == Some(&cursor) {
            return Err(Error::Decode {
                service: "pagination".into(),
                url: String::new(),
                message: format!(
                    "the listing did not end after {} pages (its next-page cursor repeats)",
                    pages
                ),
            });
        }
        let page = fetch(cursor.clone()).await?;
        let items = stream::iter(page.items.into_iter().map(Ok::<T, Error>));
        Ok(Some((items, (page.next, Some(cursor), fetch, pages + 1))))
    })
    .try_flatten()
}

/// Reads a whole stream of items into a vector, stopping at the first error.
pub async fn collect_all<T>(stream: impl Stream<Item = Result<T>>) -> Result<Vec<T>> {
    stream.try_collect().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_page_is_read_in_order() {
        let items = collect_all(paginate(1u32, |page| async move {
            Ok(Page {
                items: vec![page * 10, page * 10 + 1],
                next: (page < 3).then_some(page + 1),
            })
        }))
        .await
        .expect("pages");
        assert_eq!(items, vec![10, 11, 20, 21, 30, 31]);
    }

    #[tokio::test]
    async fn a_repeating_cursor_ends_the_listing() {
        let error = collect_all(paginate(1u32, |_| async move {
            Ok(Page {
                items: vec![1],
                next: Some(1u32),
            })
        }))
        .await
        .expect_err("loop detected");
        assert_eq!(error.code(), "DEZKY_UPSTREAM_DECODE");
    }

    #[tokio::test]
    async fn an_error_stops_the_stream() {
        let error = collect_all(paginate(1u32, |page| async move {
            if page == 2 {
                return Err(Error::invalid("page", "boom"));
            }
            Ok(Page {
                items: vec![page],
                next: Some(page + 1),
            })
        }))
        .await
        .expect_err("second page fails");
        assert_eq!(error.code(), "DEZKY_INVALID_ARGUMENT");
    }
}
