//! The request form on an action page.
//!
//! A real HTML form that posts to `/actions/{id}/submit`, so it works without JavaScript: the server
//! validates, and on a mistake redirects back here with the values in the query string and
//! `_invalid=1`, and this component shows each error next to its field. After hydration the same
//! validation ([`runway_domain::form::validate`]) runs in the browser as the user types (errors
//! appear once a field was left, or on submit), conditional fields show and hide, and submitting a
//! form with mistakes is stopped with the focus on the first one.

use leptos::prelude::*;
use runway_domain::form::{self, RawValues};
use runway_domain::spec::{FieldKind, FieldSpec};
use std::collections::BTreeSet;

/// Control names that are not fields: the idempotency key and the error flag.
pub const KEY_FIELD: &str = "_key";

#[component]
pub fn RequestForm(
    action_id: String,
    fields: Vec<FieldSpec>,
    teams: Vec<String>,
    /// The page's query string (pre-filled link, or values coming back from a refused submit).
    query: RawValues,
    /// True when the server refused a submit: show every error at once.
    invalid: bool,
    form_key: String,
    /// The catalogue editor's preview: validation works, nothing is ever sent; a valid submit shows
    /// this dry run of what the request would do instead.
    #[prop(optional)]
    preview: Option<Callback<form::ValidInputs, Vec<String>>>,
) -> impl IntoView {
    let fields = StoredValue::new(fields);
    let teams = StoredValue::new(teams);
    let start = fields.with_value(|f| {
        if invalid {
            // Exactly what was posted (minus secrets, which never travel in a URL).
            query
                .iter()
                .filter(|(k, _)| !k.starts_with('_'))
                .cloned()
                .collect::<RawValues>()
        } else {
            teams.with_value(|t| form::initial_values(f, &query, t))
        }
    });
    let values = RwSignal::new(start);
    let touched = RwSignal::new(if invalid {
        fields.with_value(|f| {
            f.iter()
                .map(|f| f.name.to_string())
                .collect::<BTreeSet<_>>()
        })
    } else {
        BTreeSet::new()
    });
    let all_errors = Memo::new(move |_| {
        values.with(|v| {
            fields.with_value(|f| {
                teams.with_value(|t| form::validate(f, v, t).err().unwrap_or_default())
            })
        })
    });
    let visible =
        Memo::new(move |_| values.with(|v| fields.with_value(|f| form::visible_fields(f, v))));
    let first_error = fields.with_value(|f| {
        let errs = all_errors.get_untracked();
        f.iter()
            .find(|f| errs.contains_key(f.name.as_str()))
            .map(|f| f.name.to_string())
    });
    let link = RwSignal::new(None::<String>);
    let action = format!("/actions/{action_id}/submit");
    let base = format!("/actions/{action_id}");

    let previewed = RwSignal::new(None::<Vec<String>>);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        let errs = all_errors.get_untracked();
        if let Some(dry_run) = preview {
            ev.prevent_default();
            let valid = values.with_untracked(|v| {
                fields.with_value(|f| teams.with_value(|t| form::validate(f, v, t).ok()))
            });
            previewed.set(valid.map(|v| dry_run.run(v)));
        }
        if errs.is_empty() {
            return;
        }
        ev.prevent_default();
        touched.set(fields.with_value(|f| f.iter().map(|f| f.name.to_string()).collect()));
        let first = fields.with_value(|f| {
            f.iter()
                .find(|f| errs.contains_key(f.name.as_str()))
                .map(|f| f.name.to_string())
        });
        if let Some(name) = first {
            focus(&format!("field-{name}"));
        }
    };

    let copy_link = move |_| {
        let q = values.with_untracked(|v| fields.with_value(|f| form::prefill_query(f, v)));
        let url = format!(
            "{}{}{}",
            origin(),
            base,
            if q.is_empty() {
                String::new()
            } else {
                format!("?{q}")
            }
        );
        copy_to_clipboard(&url);
        link.set(Some(url));
    };

    let rows = fields.with_value(|f| f.clone()).into_iter().map(|field| {
        let name = field.name.to_string();
        let name_v = name.clone();
        let shown = move || visible.with(|v| v.contains(&name_v));
        let name_e = name.clone();
        let error = move || {
            let n = name_e.clone();
            if touched.with(|t| t.contains(&n)) {
                all_errors.with(|e| e.get(&n).cloned())
            } else {
                None
            }
        };
        let secret_again = invalid && matches!(field.kind, FieldKind::Secret { .. });
        let autofocus = first_error.as_deref() == Some(name.as_str());
        view! {
            <FieldRow field values touched error=Signal::derive(error) shown=Signal::derive(shown) teams=teams.get_value() secret_again autofocus />
        }
    }).collect_view();

    view! {
        <form
            class="request-form"
            method="post"
            action=action
            novalidate=true
            on:submit=on_submit
            data-testid="request-form"
        >
            <input type="hidden" name=KEY_FIELD value=form_key />
            {move || (!all_errors.with(|e| e.is_empty()) && touched.with(|t| !t.is_empty()) && invalid).then(|| view! {
                <p class="notice notice-error" role="alert" data-testid="form-errors">
                    "Some fields need your attention; see the messages below."
                </p>
            })}
            {rows}
            <div class="form-actions">
                <button type="submit" class="primary">"Submit request"</button>
                <button type="button" class="secondary" on:click=copy_link>"Copy link with these values"</button>
            </div>
            {move || previewed.get().map(|lines| view! {
                <div class="notice" role="status" data-testid="preview-ok">
                    <p>"These values are valid. A dry run: nothing was sent or run."</p>
                    <pre class="dry-run">{lines.join("\n")}</pre>
                </div>
            })}
            {move || link.get().map(|l| view! {
                <p class="copied muted">
                    <label for="prefill-link">"Link (secrets are never included): "</label>
                    <input id="prefill-link" type="text" readonly=true value=l data-testid="prefill-link" />
                </p>
            })}
        </form>
    }
    .into_any()
}

#[component]
fn FieldRow(
    field: FieldSpec,
    values: RwSignal<RawValues>,
    touched: RwSignal<BTreeSet<String>>,
    error: Signal<Option<String>>,
    shown: Signal<bool>,
    teams: Vec<String>,
    secret_again: bool,
    autofocus: bool,
) -> impl IntoView {
    let name = field.name.to_string();
    let id = format!("field-{name}");
    let help_id = format!("help-{name}");
    let err_id = format!("error-{name}");
    let described = {
        let mut ids = Vec::new();
        if field.help.is_some() {
            ids.push(help_id.clone());
        }
        ids.push(err_id.clone());
        ids.join(" ")
    };
    let n1 = name.clone();
    let single = move || {
        values.with(|v| {
            form::raw_of(v, &n1)
                .last()
                .map(|s| s.to_string())
                .unwrap_or_default()
        })
    };
    let n2 = name.clone();
    let set_single = move |value: String| {
        values.update(|v| {
            v.retain(|(k, _)| k != &n2);
            v.push((n2.clone(), value));
        })
    };
    let n3 = name.clone();
    let leave = move |_| {
        touched.update(|t| {
            t.insert(n3.clone());
        })
    };
    let invalid = move || error.with(|e| e.is_some()).then_some("true");
    let required = field.required;
    let label = field.label.clone();
    let placeholder = field.placeholder.clone().unwrap_or_default();
    let control = match field.kind.clone() {
        FieldKind::Text { .. } => {
            let set = set_single.clone();
            view! {
                <textarea id=id.clone() name=name.clone() rows="5" placeholder=placeholder aria-describedby=described.clone()
                    aria-invalid=invalid autofocus=autofocus
                    prop:value=single.clone()
                    on:input=move |ev| set(event_target_value(&ev))
                    on:blur=leave.clone()
                >{single.clone()}</textarea>
            }.into_any()
        }
        FieldKind::Boolean => {
            let n = name.clone();
            let checked = move || values.with(|v| matches!(form::raw_of(v, &n).last().copied(), Some("true" | "on" | "1" | "yes")));
            let set = set_single.clone();
            view! {
                <input type="hidden" name=name.clone() value="false" />
                <input type="checkbox" id=id.clone() name=name.clone() value="true" aria-describedby=described.clone()
                    aria-invalid=invalid autofocus=autofocus
                    prop:checked=checked.clone() checked=checked
                    on:change=move |ev| set(if event_target_checked(&ev) { "true".into() } else { "false".into() })
                    on:blur=leave.clone()
                />
            }.into_any()
        }
        FieldKind::Select { options } => {
            let set = set_single.clone();
            let current = single.clone();
            view! {
                <select id=id.clone() name=name.clone() aria-describedby=described.clone() aria-invalid=invalid autofocus=autofocus
                    on:change=move |ev| set(event_target_value(&ev)) on:blur=leave.clone()>
                    <option value="" selected=move || current().is_empty()>"Choose…"</option>
                    {options.into_iter().map(|o| {
                        let c = single.clone();
                        let v = o.value.clone();
                        view! { <option value=o.value selected=move || c() == v>{o.label}</option> }
                    }).collect_view()}
                </select>
            }.into_any()
        }
        FieldKind::Team => {
            let set = set_single.clone();
            let current = single.clone();
            view! {
                <select id=id.clone() name=name.clone() aria-describedby=described.clone() aria-invalid=invalid autofocus=autofocus
                    on:change=move |ev| set(event_target_value(&ev)) on:blur=leave.clone()>
                    <option value="" selected=move || current().is_empty()>"Choose your team…"</option>
                    {teams.into_iter().map(|t| {
                        let c = single.clone();
                        let v = t.clone();
                        view! { <option value=t.clone() selected=move || c() == v>{t.clone()}</option> }
                    }).collect_view()}
                </select>
            }.into_any()
        }
        FieldKind::Multiselect { options } => {
            view! {
                <span class="choices" id=id.clone() role="group" aria-describedby=described.clone() aria-invalid=invalid>
                    {options.into_iter().enumerate().map(|(i, o)| {
                        let n = name.clone();
                        let v = o.value.clone();
                        let checked = move || values.with(|vals| form::raw_of(vals, &n).contains(&v.as_str()));
                        let n2 = name.clone();
                        let v2 = o.value.clone();
                        let oid = format!("field-{}-{i}", name);
                        let oid2 = oid.clone();
                        view! {
                            <label class="choice" for=oid2>
                                <input type="checkbox" id=oid name=name.clone() value=o.value.clone()
                                    prop:checked=checked.clone() checked=checked
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        values.update(|vals| {
                                            vals.retain(|(k, x)| !(k == &n2 && x == &v2));
                                            if on { vals.push((n2.clone(), v2.clone())); }
                                        });
                                    }
                                    on:blur=leave.clone()
                                />
                                " " {o.label}
                            </label>
                        }
                    }).collect_view()}
                </span>
            }.into_any()
        }
        kind => {
            let input_type = match kind {
                FieldKind::Secret { .. } => "password",
                FieldKind::Date => "date",
                _ => "text",
            };
            let mode = match kind {
                FieldKind::Integer { .. } => "numeric",
                FieldKind::Number { .. } => "decimal",
                _ => "text",
            };
            let set = set_single.clone();
            let value = single.clone();
            view! {
                <input type=input_type id=id.clone() name=name.clone() inputmode=mode placeholder=placeholder
                    autocomplete=if input_type == "password" { "new-password" } else { "off" }
                    aria-describedby=described.clone() aria-invalid=invalid autofocus=autofocus
                    prop:value=value.clone() value=value
                    on:input=move |ev| set(event_target_value(&ev))
                    on:blur=leave.clone()
                />
            }.into_any()
        }
    };
    let shown_class = move || {
        if shown.get() {
            "field"
        } else {
            "field field-hidden"
        }
    };
    let shown_hidden = move || !shown.get();
    view! {
        <div class=shown_class hidden=shown_hidden data-field=name.clone()>
            <label for=id.clone() class="field-label">
                {label}
                {required.then(|| view! { <span class="required" aria-hidden="true">" *"</span> })}
            </label>
            {control}
            {field.help.clone().map(|h| view! { <p class="help muted" id=help_id.clone()>{h}</p> })}
            <p class="field-error" id=err_id.clone() role="status" data-testid=format!("error-{}", name)>
                {move || error.get().map(|e| if secret_again && e == "Required." {
                    "Secrets are not kept after an error: enter it again.".to_string()
                } else { e })}
            </p>
        </div>
    }
    .into_any()
}

fn focus(id: &str) {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsCast;
        if let Some(el) = document().get_element_by_id(id) {
            if let Ok(el) = el.dyn_into::<web_sys::HtmlElement>() {
                let _ = el.focus();
            }
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = id;
}

fn origin() -> String {
    #[cfg(feature = "hydrate")]
    {
        window().location().origin().unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    String::new()
}

fn copy_to_clipboard(text: &str) {
    #[cfg(feature = "hydrate")]
    {
        let _ = window().navigator().clipboard().write_text(text);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = text;
}
