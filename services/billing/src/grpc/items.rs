//! `comptoir.billing.v1.ItemService`: a company's articles base, the default label,
//! price and VAT rate that document lines start from. Each call is authorised and
//! decoded here into the domain's [`ItemInput`], handed to one [`crate::app::items`]
//! function, and its item encoded.

use comptoir_domain_types::amount;
use comptoir_domain_types::fields::Violations;
use comptoir_domain_types::permissions::{self, Permission};
use comptoir_proto::billing::v1 as pb;
use comptoir_runtime::page::{PageRequest, id_text_cursor, parse_id_text_cursor};
use comptoir_runtime::{Deps, FieldViolations, error};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::{authorize, authorship};
use crate::app::items::{self as app, UpdateItem};
use crate::app::violations_under;
use crate::domain::ItemKind;
use crate::domain::item::{Item, ItemInput, price_string};
use crate::store::items::ItemFilter;
use crate::store::parties::contains_pattern;

pub(crate) fn server(deps: Deps) -> pb::item_service_server::ItemServiceServer<Items> {
    pb::item_service_server::ItemServiceServer::new(Items { deps })
}

pub(crate) struct Items {
    deps: Deps,
}

/// Who may read items.
const READERS: [Permission; 2] = [
    permissions::Permission::InvoicesRead,
    permissions::Permission::QuotesWrite,
];
/// Who may write items.
const WRITERS: [Permission; 1] = [permissions::Permission::InvoicesWrite];

/// A kind from the wire; None when unspecified or unknown.
fn kind_from_pb(value: i32) -> Option<ItemKind> {
    match pb::ItemKind::try_from(value).ok()? {
        pb::ItemKind::Goods => Some(ItemKind::Goods),
        pb::ItemKind::Services => Some(ItemKind::Services),
        pb::ItemKind::Unspecified => None,
    }
}

fn kind_to_pb(kind: ItemKind) -> pb::ItemKind {
    match kind {
        ItemKind::Goods => pb::ItemKind::Goods,
        ItemKind::Services => pb::ItemKind::Services,
    }
}

impl From<&Item> for pb::Item {
    fn from(item: &Item) -> Self {
        let fields = &item.fields;
        pb::Item {
            item_id: item.item_id.to_string(),
            company_id: item.company_id.to_string(),
            label: fields.label.clone(),
            unit: fields.unit.clone(),
            unit_price: price_string(fields.unit_price),
            vat_rate: amount::format_plain(fields.vat_rate),
            kind: kind_to_pb(fields.kind) as i32,
            category: fields.category.clone(),
            archived: item.archived_at.is_some(),
            authorship: Some(authorship(
                &item.authorship.created_by,
                item.authorship.created_at,
                &item.authorship.updated_by,
                item.authorship.updated_at,
            )),
        }
    }
}

impl From<&pb::ItemInput> for ItemInput {
    fn from(input: &pb::ItemInput) -> Self {
        ItemInput {
            label: input.label.clone(),
            unit: input.unit.clone(),
            unit_price: input.unit_price.clone(),
            vat_rate: input.vat_rate.clone(),
            kind: kind_from_pb(input.kind),
            category: input.category.clone(),
        }
    }
}

/// An item id from the wire, or INVALID_ARGUMENT naming `item_id`.
fn item_id(value: &str) -> Result<Uuid, FieldViolations> {
    error::required_uuid("item_id", value)
}

#[tonic::async_trait]
impl pb::item_service_server::ItemService for Items {
    async fn create_item(
        &self,
        request: Request<pb::CreateItemRequest>,
    ) -> Result<Response<pb::CreateItemResponse>, Status> {
        let ctx = authorize(&request, &WRITERS)?;
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        let mut field_violations = Violations::new();
        let fields =
            ItemInput::from(&request.item.clone().unwrap_or_default()).parse(&mut field_violations);
        violations_under("item", &mut violations, field_violations);
        violations.into_result()?;
        let Some(fields) = fields else {
            unreachable!("validated above")
        };
        let response = app::create_item(
            &ctx,
            &self.deps,
            fields,
            (&request.idempotency_key, &request),
            |item| pb::CreateItemResponse {
                item: Some(item.into()),
            },
        )
        .await?;
        Ok(Response::new(response))
    }

    async fn get_item(
        &self,
        request: Request<pb::GetItemRequest>,
    ) -> Result<Response<pb::GetItemResponse>, Status> {
        let ctx = authorize(&request, &READERS)?;
        let item_id = item_id(&request.get_ref().item_id)?;
        let item = app::get_item(&ctx, &self.deps, item_id).await?;
        Ok(Response::new(pb::GetItemResponse {
            item: Some((&item).into()),
        }))
    }

    async fn update_item(
        &self,
        request: Request<pb::UpdateItemRequest>,
    ) -> Result<Response<pb::UpdateItemResponse>, Status> {
        let ctx = authorize(&request, &WRITERS)?;
        let request = request.into_inner();
        let update = UpdateItem {
            item_id: item_id(&request.item_id)?,
            changes: ItemInput::from(&request.item.unwrap_or_default()),
            paths: request
                .update_mask
                .map(|mask| mask.paths)
                .unwrap_or_default(),
        };
        let item = app::update_item(&ctx, &self.deps, update).await?;
        Ok(Response::new(pb::UpdateItemResponse {
            item: Some((&item).into()),
        }))
    }

    async fn archive_item(
        &self,
        request: Request<pb::ArchiveItemRequest>,
    ) -> Result<Response<pb::ArchiveItemResponse>, Status> {
        let ctx = authorize(&request, &WRITERS)?;
        let item_id = item_id(&request.get_ref().item_id)?;
        let item = app::archive_item(&ctx, &self.deps, item_id).await?;
        Ok(Response::new(pb::ArchiveItemResponse {
            item: Some((&item).into()),
        }))
    }

    async fn list_items(
        &self,
        request: Request<pb::ListItemsRequest>,
    ) -> Result<Response<pb::ListItemsResponse>, Status> {
        let ctx = authorize(&request, &READERS)?;
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        let page = PageRequest::parse(request.page_size, &request.page_token, &mut violations);
        let after = page
            .as_ref()
            .and_then(|p| parse_id_text_cursor(p.after.as_deref(), &mut violations));
        violations.into_result()?;
        let Some(page) = page else {
            unreachable!("validated above")
        };
        let query = request.query.trim();
        let category = request.category.trim();
        let filter = ItemFilter {
            pattern: (!query.is_empty()).then(|| contains_pattern(query)),
            category: (!category.is_empty()).then(|| category.to_owned()),
            include_archived: request.include_archived,
            after,
        };
        let mut rows = app::list_items(&ctx, &self.deps, &filter, page.fetch_limit()).await?;
        let next_page_token = page.finish(&mut rows, |row| {
            id_text_cursor(row.item.item_id, &row.sort_label)
        });
        Ok(Response::new(pb::ListItemsResponse {
            items: rows.iter().map(|row| (&row.item).into()).collect(),
            next_page_token,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_item_input_is_read_from_the_wire_as_sent() {
        let input = pb::ItemInput {
            label: " Pain ".to_owned(),
            unit_price: "4.2500".to_owned(),
            kind: pb::ItemKind::Services as i32,
            ..Default::default()
        };
        let read = ItemInput::from(&input);
        assert_eq!(read.label, " Pain ");
        assert_eq!(read.unit_price, "4.2500");
        assert_eq!(read.kind, Some(ItemKind::Services));
        assert_eq!(ItemInput::from(&pb::ItemInput::default()).kind, None);
    }
}
