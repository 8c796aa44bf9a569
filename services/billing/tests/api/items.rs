//! The articles base: prices with up to 4 decimals, French VAT rates only, field masks,
//! listing by label with search and category, idempotent creation, tenant isolation,
//! permissions and the audit trail.

use comptoir_proto::billing::v1::{
    ArchiveItemRequest, CreateItemRequest, GetItemRequest, Item, ItemInput, ItemKind,
    ListItemsRequest, UpdateItemRequest,
};
use comptoir_test_support::{bad_fields, bearer, reason};
use tonic::Code;
use uuid::Uuid;

use crate::Env;

fn bread(label: &str) -> ItemInput {
    ItemInput {
        label: label.to_owned(),
        unit: "kg".to_owned(),
        unit_price: "4.2575".to_owned(),
        vat_rate: "5.5".to_owned(),
        kind: ItemKind::Goods as i32,
        category: "Boulangerie".to_owned(),
    }
}

fn create(item: ItemInput, key: &str) -> CreateItemRequest {
    CreateItemRequest {
        item: Some(item),
        idempotency_key: key.to_owned(),
    }
}

fn list(query: &str, category: &str, page_size: i32, page_token: &str) -> ListItemsRequest {
    ListItemsRequest {
        query: query.to_owned(),
        category: category.to_owned(),
        include_archived: false,
        page_size,
        page_token: page_token.to_owned(),
    }
}

async fn create_item(env: &Env, token: &str, item: ItemInput) -> Item {
    env.items()
        .await
        .create_item(bearer(create(item, ""), token))
        .await
        .expect("creating an item")
        .into_inner()
        .item
        .expect("an item")
}

/// Runs a `SELECT count(*)` with the company as `$1`, as superuser.
async fn count(env: &Env, sql: &'static str, company: Uuid) -> i64 {
    let mut conn = env.harness.db.admin().await;
    sqlx::query_scalar(sql)
        .bind(company)
        .fetch_one(&mut conn)
        .await
        .expect(sql)
}

async fn items_of(env: &Env, company: Uuid) -> i64 {
    count(
        env,
        "SELECT count(*) FROM billing.item WHERE company_id = $1",
        company,
    )
    .await
}

#[tokio::test]
async fn an_item_is_created_read_updated_through_its_mask_and_archived() {
    let env = Env::start().await;
    let company = env.company().await;
    let token = env.admin_token(company).await;
    let mut client = env.items().await;

    let created = create_item(&env, &token, bread(" Pain de campagne ")).await;
    assert_eq!(created.label, "Pain de campagne");
    assert_eq!(created.unit_price, "4.2575");
    assert_eq!(created.vat_rate, "5.5");
    assert_eq!(created.kind(), ItemKind::Goods);
    assert_eq!(created.company_id, company.to_string());
    assert!(!created.archived);

    let read = client
        .get_item(bearer(
            GetItemRequest {
                item_id: created.item_id.clone(),
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner()
        .item
        .unwrap();
    assert_eq!(read, created);

    let updated = client
        .update_item(bearer(
            UpdateItemRequest {
                item_id: created.item_id.clone(),
                item: Some(ItemInput {
                    unit_price: "4.5".to_owned(),
                    vat_rate: "20".to_owned(),
                    label: "ignored".to_owned(),
                    ..Default::default()
                }),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["unit_price".to_owned(), "vat_rate".to_owned()],
                }),
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner()
        .item
        .unwrap();
    assert_eq!(updated.unit_price, "4.50");
    assert_eq!(updated.vat_rate, "20");
    assert_eq!(updated.label, "Pain de campagne");
    assert_eq!(updated.unit, "kg");

    let bad_rate = client
        .update_item(bearer(
            UpdateItemRequest {
                item_id: created.item_id.clone(),
                item: Some(ItemInput {
                    vat_rate: "19".to_owned(),
                    ..Default::default()
                }),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["vat_rate".to_owned(), "colour".to_owned()],
                }),
            },
            &token,
        ))
        .await
        .unwrap_err();
    assert_eq!(bad_rate.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&bad_rate), ["update_mask", "item.vat_rate"]);

    let archived = client
        .archive_item(bearer(
            ArchiveItemRequest {
                item_id: created.item_id.clone(),
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner()
        .item
        .unwrap();
    assert!(archived.archived);
    assert_eq!(archived.vat_rate, "20");
    let listed = client
        .list_items(bearer(list("", "", 0, ""), &token))
        .await
        .unwrap()
        .into_inner();
    assert!(listed.items.is_empty(), "an archived item is hidden");
    let mut with_archived = list("", "", 0, "");
    with_archived.include_archived = true;
    let listed = client
        .list_items(bearer(with_archived, &token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.items, [archived]);
}

#[tokio::test]
async fn items_are_listed_by_label_a_page_at_a_time_and_searched_by_label_or_category() {
    let env = Env::start().await;
    let company = env.company().await;
    let token = env.admin_token(company).await;
    for label in ["croissant", "Baguette", "pain_au_chocolat", "Brioche"] {
        create_item(&env, &token, bread(label)).await;
    }
    let mut service = bread("Livraison");
    service.kind = ItemKind::Services as i32;
    service.category = "Services".to_owned();
    service.vat_rate = "20".to_owned();
    service.unit_price = "15".to_owned();
    create_item(&env, &token, service).await;
    let mut client = env.items().await;

    let mut labels = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .list_items(bearer(list("", "", 2, &page_token), &token))
            .await
            .unwrap()
            .into_inner();
        assert!(page.items.len() <= 2);
        labels.extend(page.items.into_iter().map(|i| i.label));
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    assert_eq!(
        labels,
        [
            "Baguette",
            "Brioche",
            "croissant",
            "Livraison",
            "pain_au_chocolat"
        ]
    );

    let search = async |query: &str, category: &str| -> Vec<String> {
        let mut client = env.items().await;
        client
            .list_items(bearer(list(query, category, 0, ""), &token))
            .await
            .unwrap()
            .into_inner()
            .items
            .into_iter()
            .map(|i| i.label)
            .collect()
    };
    assert_eq!(search("B", "").await, ["Baguette", "Brioche"]);
    assert_eq!(search("_au_", "").await, ["pain_au_chocolat"]);
    assert!(search("%", "").await.is_empty());
    assert_eq!(search("", "services").await, ["Livraison"]);
    assert_eq!(
        search("o", "Boulangerie").await,
        ["Brioche", "croissant", "pain_au_chocolat"]
    );

    let bad = client
        .list_items(bearer(list("", "", 0, "bm90IGEgY3Vyc29y"), &token))
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&bad), ["page_token"]);
}

#[tokio::test]
async fn each_bad_item_field_is_named_and_nothing_is_written() {
    let env = Env::start().await;
    let company = env.company().await;
    let token = env.admin_token(company).await;
    let mut client = env.items().await;

    let with = |change: &dyn Fn(&mut ItemInput)| {
        let mut input = bread("Pain");
        change(&mut input);
        input
    };
    let cases: Vec<(ItemInput, Vec<&str>)> = vec![
        (
            with(&|i| i.unit_price = "1.23456".to_owned()),
            vec!["item.unit_price"],
        ),
        (
            with(&|i| i.vat_rate = "19".to_owned()),
            vec!["item.vat_rate"],
        ),
        (
            with(&|i| i.vat_rate = "5.555".to_owned()),
            vec!["item.vat_rate"],
        ),
        (
            with(&|i| {
                i.label = "  ".to_owned();
                i.unit = "x".repeat(21);
                i.unit_price = "-1".to_owned();
                i.vat_rate = String::new();
                i.kind = 0;
                i.category = "c".repeat(101);
            }),
            vec![
                "item.label",
                "item.unit",
                "item.unit_price",
                "item.vat_rate",
                "item.kind",
                "item.category",
            ],
        ),
    ];
    for (input, expected) in cases {
        let status = client
            .create_item(bearer(create(input.clone(), ""), &token))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{input:?}");
        assert_eq!(bad_fields(&status), expected, "{input:?}");
    }
    assert_eq!(items_of(&env, company).await, 0);
    assert_eq!(
        count(
            &env,
            "SELECT count(*) FROM billing.audit_event WHERE company_id = $1",
            company
        )
        .await,
        0
    );
}

#[tokio::test]
async fn a_retried_item_create_returns_the_same_item_and_another_request_with_the_same_key_is_refused()
 {
    let env = Env::start().await;
    let company = env.company().await;
    let token = env.admin_token(company).await;
    let mut client = env.items().await;

    let first = client
        .create_item(bearer(create(bread("Pain"), "item-1"), &token))
        .await
        .unwrap()
        .into_inner();
    let retry = client
        .create_item(bearer(create(bread("Pain"), "item-1"), &token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(retry, first);
    let other = client
        .create_item(bearer(create(bread("Brioche"), "item-1"), &token))
        .await
        .unwrap_err();
    assert_eq!(other.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&other), ["idempotency_key"]);
    assert_eq!(items_of(&env, company).await, 1);
}

#[tokio::test]
async fn another_company_s_item_answers_not_found() {
    let env = Env::start().await;
    let mine = env.company().await;
    let theirs = env.company().await;
    let item = create_item(&env, &env.admin_token(theirs).await, bread("Pain")).await;
    let token = env.admin_token(mine).await;
    let mut client = env.items().await;

    let get = client
        .get_item(bearer(
            GetItemRequest {
                item_id: item.item_id.clone(),
            },
            &token,
        ))
        .await
        .unwrap_err();
    let update = client
        .update_item(bearer(
            UpdateItemRequest {
                item_id: item.item_id.clone(),
                item: Some(bread("Volé")),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["label".to_owned()],
                }),
            },
            &token,
        ))
        .await
        .unwrap_err();
    let archive = client
        .archive_item(bearer(
            ArchiveItemRequest {
                item_id: item.item_id.clone(),
            },
            &token,
        ))
        .await
        .unwrap_err();
    for status in [get, update, archive] {
        assert_eq!(status.code(), Code::NotFound);
        assert_eq!(reason(&status), "ITEM_NOT_FOUND");
    }
    let listed = client
        .list_items(bearer(list("", "", 0, ""), &token))
        .await
        .unwrap()
        .into_inner();
    assert!(listed.items.is_empty());
}

#[tokio::test]
async fn accountants_and_sales_read_items_but_only_invoicing_writes_them() {
    let env = Env::start().await;
    let company = env.company().await;
    let invoicing = env
        .token_with(
            company,
            &[comptoir_domain_types::permissions::Permission::InvoicesWrite],
        )
        .await;
    let item = create_item(&env, &invoicing, bread("Pain")).await;
    let mut client = env.items().await;

    for permission in [
        comptoir_domain_types::permissions::Permission::InvoicesRead,
        comptoir_domain_types::permissions::Permission::QuotesWrite,
    ] {
        let token = env.token_with(company, &[permission]).await;
        let read = client
            .get_item(bearer(
                GetItemRequest {
                    item_id: item.item_id.clone(),
                },
                &token,
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(read.item.as_ref(), Some(&item));
        assert_eq!(
            client
                .list_items(bearer(list("", "", 0, ""), &token))
                .await
                .unwrap()
                .into_inner()
                .items
                .len(),
            1
        );
        let refusals = [
            client
                .create_item(bearer(create(bread("Brioche"), ""), &token))
                .await
                .unwrap_err(),
            client
                .update_item(bearer(
                    UpdateItemRequest {
                        item_id: item.item_id.clone(),
                        item: Some(bread("Changed")),
                        update_mask: Some(prost_types::FieldMask {
                            paths: vec!["label".to_owned()],
                        }),
                    },
                    &token,
                ))
                .await
                .unwrap_err(),
            client
                .archive_item(bearer(
                    ArchiveItemRequest {
                        item_id: item.item_id.clone(),
                    },
                    &token,
                ))
                .await
                .unwrap_err(),
        ];
        for status in refusals {
            assert_eq!(status.code(), Code::PermissionDenied, "{permission}");
        }
    }
    let purchasing = env
        .token_with(
            company,
            &[comptoir_domain_types::permissions::Permission::PurchasesWrite],
        )
        .await;
    let refused = client
        .list_items(bearer(list("", "", 0, ""), &purchasing))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    assert_eq!(items_of(&env, company).await, 1);
}

#[tokio::test]
async fn the_audit_trail_records_who_created_and_changed_an_item() {
    let env = Env::start().await;
    let company = env.company().await;
    let token = env
        .token_with(
            company,
            &[comptoir_domain_types::permissions::Permission::InvoicesWrite],
        )
        .await;
    let mut client = env.items().await;
    let item = create_item(&env, &token, bread("Pain")).await;
    client
        .archive_item(bearer(
            ArchiveItemRequest {
                item_id: item.item_id.clone(),
            },
            &token,
        ))
        .await
        .unwrap();

    let mut conn = env.harness.db.admin().await;
    let trail: Vec<(String, String)> = sqlx::query_as(
        "SELECT action, actor FROM billing.audit_event \
         WHERE company_id = $1 AND subject_id = $2 ORDER BY audit_event_id",
    )
    .bind(company)
    .bind(Uuid::parse_str(&item.item_id).unwrap())
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let creator = item.authorship.unwrap().created_by;
    assert_eq!(
        trail,
        [
            ("item.created".to_owned(), creator.clone()),
            ("item.archived".to_owned(), creator),
        ]
    );
}

#[tokio::test]
async fn an_issued_invoice_s_event_says_whether_each_line_sells_goods_or_services() {
    use comptoir_proto::events::v1::InvoiceIssued;

    use crate::invoices::{draft, issue, line};

    let env = Env::start().await;
    let company = env.company().await;
    let token = env.admin_token(company).await;
    let goods = create_item(&env, &token, bread("Pain")).await;
    let mut service = bread("Livraison");
    service.kind = ItemKind::Services as i32;
    let service = create_item(&env, &token, service).await;
    let customer = env.customer(company, true, "FR").await;
    let with_item = |item: &Item| {
        let mut line = line("1", "10.00", "20");
        line.item_id = item.item_id.clone();
        line
    };
    let created = crate::invoices::create(
        &env,
        &token,
        draft(
            customer,
            vec![
                with_item(&goods),
                with_item(&service),
                line("1", "5.00", "20"),
            ],
        ),
    )
    .await
    .unwrap();
    issue(&env, &token, &created.document_id, "").await.unwrap();

    let events: Vec<InvoiceIssued> = env.outbox(company, "comptoir.billing.invoice.issued").await;
    let supplies: Vec<String> = events[0]
        .invoice
        .as_ref()
        .unwrap()
        .lines
        .iter()
        .map(|line| line.supply_type.clone())
        .collect();
    assert_eq!(supplies, ["goods", "services", ""]);
}
