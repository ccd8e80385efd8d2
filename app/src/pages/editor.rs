//! The catalogue editor: a structured form and the YAML of one action, kept in step, with every
//! problem shown at its field and line as the admin types, and a live preview of the request form.
//!
//! The YAML text is the one source of truth ([`runway_domain::edit`]): the structured form reads an
//! `EditDoc` from it and writes back only the key it changed. Validation is the server's own parser
//! compiled to WebAssembly (`parse_action`), plus, once that passes, the loader's checks on the
//! server (`editor_check`: the script exists, the id matches its file). Publishing and saving a
//! draft are plain form posts of the YAML text area, so the page works without JavaScript (as a
//! YAML editor).

use crate::api::editor::{editor_check, editor_drafts, editor_markdown, editor_new, editor_open};
use crate::api::set_status;
use crate::error::AppError;
use crate::pages::form::RequestForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use runway_domain::edit::{EditDoc, EditField, EditorData};
use runway_domain::parse::parse_action;
use runway_domain::problem::Problem;
use runway_domain::spec::{ActionSpec, FieldKind};

/// `/actions/:id/edit`: edit an action (or its saved draft).
#[component]
pub fn EditActionPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let data = crate::resource::load(id, editor_open);
    view! { <EditorLoader data /> }
}

/// `/catalog/new?kind=manual|script|webhook`: a new action from a template.
#[component]
pub fn NewActionPage() -> impl IntoView {
    let query = use_query_map();
    let kind = move || {
        query
            .read()
            .get("kind")
            .unwrap_or_else(|| "manual".to_string())
    };
    let data = crate::resource::load(kind, editor_new);
    let drafts = crate::resource::load(|| (), |_| editor_drafts());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let list = drafts.await.unwrap_or_default();
                (!list.is_empty()).then(|| view! {
                    <section class="notice" aria-labelledby="drafts-heading" data-testid="drafts">
                        <h2 id="drafts-heading">"Drafts waiting to be published"</h2>
                        <ul>
                            {list.into_iter().map(|d| view! {
                                <li>
                                    <a href=format!("/actions/{}/edit", d.id)>{d.id.clone()}</a>
                                    {format!(" ({}, saved {})", d.owner, d.saved_at)}
                                </li>
                            }).collect_view()}
                        </ul>
                    </section>
                })
            })}
        </Suspense>
        <EditorLoader data />
    }
}

#[component]
fn EditorLoader(
    data: Resource<Result<EditorData, AppError>, crate::resource::JsonBytes>,
) -> impl IntoView {
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(d) => view! { <Editor d /> }.into_any(),
                    Err(e) => {
                        let (status, title, text) = match e {
                            AppError::NotFound => (404, "No such action", "This action does not exist, or you may not see it."),
                            AppError::Forbidden => (403, "Not yours to change", "Only admins and team leads can create actions, and only admins and leads of an action's owning team can edit it."),
                            _ => (503, "Runway is unavailable", "Something went wrong on our side; please try again."),
                        };
                        set_status(status);
                        view! {
                            <Title text=title />
                            <section class="notice"><h1>{title}</h1><p>{text}" "<a href="/">"Back to the catalogue"</a></p></section>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// The problems that belong to the box at `path` (`title`, `inputs[2].name`, `inputs[2]` for the
/// field as a whole).
fn problems_at(all: &[Problem], path: &str) -> Vec<String> {
    all.iter()
        .filter(|p| {
            let Some(rest) = p.field.strip_prefix(path) else {
                return false;
            };
            rest.is_empty()
                || rest.starts_with('[')
                || (path.contains('.') && rest.starts_with('.'))
        })
        .map(|p| p.message.clone())
        .collect()
}

fn problem_line(p: &Problem) -> String {
    let mut s = String::new();
    if let Some(l) = p.line {
        s.push_str(&format!("line {l}: "));
    }
    if !p.field.is_empty() {
        s.push_str(&format!("{}: ", p.field));
    }
    s.push_str(&p.message);
    s
}

/// A change to the document, applied to one top-level key.
type DocChange = (&'static str, Box<dyn Fn(&mut EditDoc)>);
/// A change to the list of form fields.
type FieldsChange = Box<dyn Fn(&mut Vec<EditField>)>;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tab {
    Fields,
    Yaml,
}

#[component]
fn Editor(d: EditorData) -> impl IntoView {
    let yaml = RwSignal::new(d.yaml.clone());
    let doc = Memo::new(move |_| yaml.with(|y| EditDoc::from_yaml(y)));
    let readable = Memo::new(move |_| doc.with(Option::is_some));
    let parsed = Memo::new(move |_| yaml.with(|y| parse_action("action.yaml", y)));
    // The loader's checks from the server, for the text they were made on.
    let server_check = RwSignal::new((String::new(), Vec::<Problem>::new()));
    let problems = Memo::new(move |_| match parsed.get() {
        Err(p) => p,
        Ok(_) => server_check.with(|(text, found)| {
            if yaml.with(|y| y == text) {
                found.clone()
            } else {
                Vec::new()
            }
        }),
    });
    let last_valid = RwSignal::new(parsed.get_untracked().ok());
    let hydrated = RwSignal::new(false);
    let tab = RwSignal::new(Tab::Yaml);
    let description_html = RwSignal::new(String::new());
    Effect::new(move |_| {
        hydrated.set(true);
        tab.set(Tab::Fields);
    });
    // Keep the preview on the last valid version; ask the server for its own checks once the
    // browser finds nothing (debounced: the server check reads the catalogue directory).
    Effect::new(move |_| {
        if let Ok(spec) = parsed.get() {
            last_valid.set(Some(spec));
            let text = yaml.get_untracked();
            set_timeout(
                move || {
                    if yaml.with_untracked(|y| *y != text) {
                        return;
                    }
                    leptos::task::spawn_local(async move {
                        if let Ok(found) = editor_check(text.clone()).await {
                            server_check.set((text, found));
                        }
                    });
                },
                std::time::Duration::from_millis(500),
            );
        }
    });
    let description = Memo::new(move |_| {
        doc.with(|d| {
            d.as_ref()
                .map(|d| d.description.clone())
                .unwrap_or_default()
        })
    });
    Effect::new(move |_| {
        let text = description.get();
        set_timeout(
            move || {
                if description.with_untracked(|d| *d != text) {
                    return;
                }
                leptos::task::spawn_local(async move {
                    if let Ok(html) = editor_markdown(text).await {
                        description_html.set(html);
                    }
                });
            },
            std::time::Duration::from_millis(400),
        );
    });

    // One change in the structured form: re-emit that key, splice it into the text.
    let change = move |key: &'static str, f: Box<dyn Fn(&mut EditDoc)>| {
        if let Some(mut d) = doc.get_untracked() {
            f(&mut d);
            yaml.set(d.apply(&yaml.get_untracked(), key));
        }
    };
    let ctx = EditorCtx {
        doc,
        problems,
        change: Callback::new(move |(key, f): DocChange| change(key, f)),
    };

    let title = if d.is_new {
        "New action".to_string()
    } else {
        format!("Edit {}", d.id)
    };
    let base = d.base.clone();
    let teams = d.teams.clone();
    let problem_count = move || problems.with(Vec::len);

    view! {
        <Title text=title.clone() />
        <article class="editor-page">
            <nav class="breadcrumb" aria-label="Breadcrumb">
                <a href="/">"Catalogue"</a>
                {(!d.is_new).then(|| view! { " / " <a href=format!("/actions/{}", d.id)>{d.id.clone()}</a> })}
                " / "
                <span aria-current="page">{if d.is_new { "New action" } else { "Edit" }}</span>
            </nav>
            <h1>{title.clone()}</h1>
            {d.is_new.then(|| view! {
                <p class="muted">
                    "Start from a template: "
                    <a href="/catalog/new?kind=manual" rel="external">"manual"</a>", "
                    <a href="/catalog/new?kind=script" rel="external">"script"</a>", "
                    <a href="/catalog/new?kind=webhook" rel="external">"webhook"</a>
                    ". A manual action with a good form is the best first step; automate it later."
                </p>
            })}
            {d.draft.clone().map(|at| view! {
                <p class="notice" role="status" data-testid="draft-notice">{format!("You are editing the draft saved {at}. Publishing it replaces the current version.")}</p>
            })}
            <div class="editor-grid">
                <section class="editor-main" aria-label="Editor">
                    <div class="tabs" role="tablist" aria-label="Edit as">
                        <button type="button" role="tab" id="tab-fields" aria-controls="panel-fields"
                            aria-selected=move || (tab.get() == Tab::Fields).to_string()
                            disabled=move || !hydrated.get()
                            on:click=move |_| tab.set(Tab::Fields)>"Form"</button>
                        <button type="button" role="tab" id="tab-yaml" aria-controls="panel-yaml"
                            aria-selected=move || (tab.get() == Tab::Yaml).to_string()
                            on:click=move |_| tab.set(Tab::Yaml)>"YAML"</button>
                    </div>
                    <div id="panel-fields" role="tabpanel" aria-labelledby="tab-fields" hidden=move || tab.get() != Tab::Fields>
                        {move || match readable.get() {
                            true => view! { <Structured ctx description_html /> }.into_any(),
                            false => view! {
                                <p class="notice notice-error" role="alert">"The YAML cannot be read as an action yet; fix it in the YAML tab."</p>
                            }.into_any(),
                        }}
                    </div>
                    <form method="post" action="/catalog/publish" class="editor-form" data-testid="editor-form">
                        <input type="hidden" name="base" value=base />
                        {(!d.is_new).then(|| view! { <input type="hidden" name="id" value=d.id.clone() /> })}
                        <div id="panel-yaml" role="tabpanel" aria-labelledby="tab-yaml" hidden=move || tab.get() != Tab::Yaml>
                            <label for="editor-yaml">"Action YAML"</label>
                            <textarea id="editor-yaml" name="yaml" rows="30" spellcheck="false" class="yaml"
                                aria-describedby="editor-problems"
                                prop:value=move || yaml.get()
                                on:input=move |ev| yaml.set(event_target_value(&ev))
                            >{d.yaml.clone()}</textarea>
                        </div>
                        <p>
                            <label for="editor-note">"Change note"</label>
                            <input id="editor-note" name="note" type="text" maxlength="2000"
                                placeholder="What changed and why (the version's note and commit message)" />
                        </p>
                        {if d.read_only {
                            view! {
                                <p class="notice" role="status" data-testid="read-only">
                                    "You can read this and try it in the preview; admins and the owning team's leads change and publish it."
                                </p>
                            }.into_any()
                        } else {
                            view! {
                                <p class="form-actions">
                                    <button type="submit" class="primary">"Publish"</button>
                                    <button type="submit" class="secondary" formaction="/catalog/draft">"Save draft"</button>
                                </p>
                            }.into_any()
                        }}
                    </form>
                </section>
                <aside class="editor-side" aria-label="Problems and preview">
                    <section id="editor-problems" aria-live="polite" data-testid="editor-problems">
                        <h2>"Problems"</h2>
                        {move || if problem_count() == 0 {
                            view! { <p class="ok">"No problems: ready to publish."</p> }.into_any()
                        } else {
                            view! {
                                <ul class="problems">
                                    {move || problems.get().iter().map(|p| view! { <li>{problem_line(p)}</li> }).collect_view()}
                                </ul>
                            }.into_any()
                        }}
                    </section>
                    <section class="editor-preview" data-testid="editor-preview">
                        <h2>"Preview"</h2>
                        {move || if !hydrated.get() {
                            view! { <p class="muted">"The preview appears once the page has loaded."</p> }.into_any()
                        } else {
                            last_valid.get().map(|spec| view! { <Preview spec teams=teams.clone() stale=Signal::derive(move || parsed.with(Result::is_err)) /> }.into_any())
                                .unwrap_or_else(|| view! { <p class="muted">"Nothing to preview until the action is valid."</p> }.into_any())
                        }}
                    </section>
                </aside>
            </div>
        </article>
    }
}

#[component]
fn Preview(spec: ActionSpec, teams: Vec<String>, stale: Signal<bool>) -> impl IntoView {
    let beta = spec.visible_to.is_beta();
    let dry = spec.clone();
    view! {
        {move || stale.get().then(|| view! { <p class="muted">"Showing the last valid version."</p> })}
        <div class="preview-card">
            <h3>{spec.title.clone()}{beta.then(|| view! { " " <span class="badge badge-beta">"Beta"</span> })}</h3>
            <p>{spec.summary.clone()}</p>
            <p class="muted">{spec.approval_in_words()}</p>
            <RequestForm action_id=spec.id.to_string() fields=spec.inputs.clone() teams query=Vec::new() invalid=false form_key=String::new()
                preview=Callback::new(move |valid| runway_domain::edit::dry_run(&dry, &valid)) />
        </div>
    }
}

#[derive(Clone, Copy)]
struct EditorCtx {
    doc: Memo<Option<EditDoc>>,
    problems: Memo<Vec<Problem>>,
    change: Callback<DocChange>,
}

impl EditorCtx {
    /// A value of the document; a memo, so what shows or hides with it re-renders only when it
    /// changes (never under the cursor of the box being typed in).
    fn read(&self, f: impl Fn(&EditDoc) -> String + Send + Sync + 'static) -> Memo<String> {
        let doc = self.doc;
        Memo::new(move |_| doc.with(|d| d.as_ref().map(&f).unwrap_or_default()))
    }

    fn errors(&self, path: String) -> Memo<Vec<String>> {
        let problems = self.problems;
        Memo::new(move |_| problems.with(|p| problems_at(p, &path)))
    }

    fn set(
        &self,
        key: &'static str,
        f: impl Fn(&mut EditDoc, String) + Send + Sync + Clone + 'static,
    ) -> Callback<String> {
        let change = self.change;
        Callback::new(move |v: String| {
            let f = f.clone();
            change.run((key, Box::new(move |d: &mut EditDoc| f(d, v.clone()))));
        })
    }
}

/// One labelled box of the structured form, with its problems under it.
#[component]
fn TextBox(
    label: &'static str,
    /// The problem path, also the element id (`ed-` + path).
    path: String,
    value: Memo<String>,
    set: Callback<String>,
    errors: Memo<Vec<String>>,
    #[prop(optional)] multiline: bool,
    #[prop(optional)] hint: &'static str,
) -> impl IntoView {
    let id = format!("ed-{}", path.replace(['[', ']', '.'], "-"));
    let err_id = format!("{id}-error");
    let invalid = move || errors.with(|e| !e.is_empty()).then_some("true");
    let control = if multiline {
        view! {
            <textarea id=id.clone() rows="6" aria-describedby=err_id.clone() aria-invalid=invalid
                prop:value=move || value.get() on:input=move |ev| set.run(event_target_value(&ev))>{value.get_untracked()}</textarea>
        }.into_any()
    } else {
        view! {
            <input id=id.clone() type="text" aria-describedby=err_id.clone() aria-invalid=invalid
                prop:value=move || value.get() on:input=move |ev| set.run(event_target_value(&ev)) />
        }.into_any()
    };
    view! {
        <div class="ed-row">
            <label for=id.clone()>{label}</label>
            {(!hint.is_empty()).then(|| view! { <span class="muted hint">{hint}</span> })}
            {control}
            <p class="field-error" id=err_id role="alert">{move || errors.get().join(" ")}</p>
        </div>
    }
}

#[component]
fn Structured(ctx: EditorCtx, description_html: RwSignal<String>) -> impl IntoView {
    let text = |label: &'static str,
                key: &'static str,
                get: fn(&EditDoc) -> String,
                put: fn(&mut EditDoc, String),
                hint: &'static str| {
        view! {
            <TextBox label path=key.to_string() value=ctx.read(get) set=ctx.set(key, put) errors=ctx.errors(key.to_string()) hint />
        }
    };
    let approval_from = ctx.read(|d| d.approval_from.clone());
    let visible_all = Memo::new(move |_| {
        ctx.doc
            .with(|d| d.as_ref().is_none_or(|d| d.visible_to_all))
    });
    let set_from = ctx.set("approval", |d, v| d.approval_from = v);
    let set_all = ctx.set("visible_to", |d, v| d.visible_to_all = v == "all");
    let run_kind = ctx.read(|d| d.run_kind.clone());
    view! {
        <fieldset>
            <legend>"About"</legend>
            {text("Id", "id", |d| d.id.clone(), |d, v| d.id = v, "lowercase letters, digits and hyphens; also the file name")}
            {text("Title", "title", |d| d.title.clone(), |d, v| d.title = v, "")}
            {text("Summary", "summary", |d| d.summary.clone(), |d, v| d.summary = v, "one sentence for the catalogue card")}
            <TextBox label="Description" path="description".to_string() value=ctx.read(|d| d.description.clone())
                set=ctx.set("description", |d, v| d.description = v) errors=ctx.errors("description".to_string()) multiline=true hint="Markdown" />
            <details class="markdown-preview">
                <summary>"Description preview"</summary>
                <div class="markdown" inner_html=move || description_html.get()></div>
            </details>
            {text("Category", "category", |d| d.category.clone(), |d, v| d.category = v, "")}
            {text("Tags", "tags", |d| d.tags.clone(), |d, v| d.tags = v, "separated by commas")}
            {text("Owner", "owner", |d| d.owner.clone(), |d, v| d.owner = v, "the team that owns and fulfils it")}
            {text("Estimate", "estimate", |d| d.estimate.clone(), |d, v| d.estimate = v, "how long it usually takes, e.g. 2m, 1d")}
            {text("Timeout", "timeout", |d| d.timeout.clone(), |d, v| d.timeout = v, "e.g. 15m")}
            {text("Replaces", "replaces", |d| d.replaces.clone(), |d, v| d.replaces = v, "the ticket type it replaces")}
            <p class="muted">"How it runs: " {move || run_kind.get()} " (edit the run in the YAML tab; scripts must already exist in the catalogue)."</p>
        </fieldset>
        <fieldset>
            <legend>"Approval"</legend>
            <div class="ed-row">
                <label for="ed-approval-from">"Approval from"</label>
                <select id="ed-approval-from" on:change=move |ev| set_from.run(event_target_value(&ev))>
                    <option value="none" selected=move || approval_from.get() == "none">"Nobody: runs at once"</option>
                    <option value="team-lead" selected=move || approval_from.get() == "team-lead">"A lead of the requester's team"</option>
                    <option value="groups" selected=move || approval_from.get() == "groups">"Members of groups"</option>
                </select>
                {
                    let e = ctx.errors("approval".to_string());
                    view! { <p class="field-error" role="alert">{move || e.get().join(" ")}</p> }
                }
            </div>
            {move || (approval_from.get() != "none").then(|| view! {
                <TextBox label="Approvals needed" path="approval.count".to_string() value=ctx.read(|d| d.approval_count.clone()) set=ctx.set("approval", |d, v| d.approval_count = v) errors=ctx.errors("approval.count".to_string()) hint="1 to 10" />
                {(approval_from.get() == "groups").then(|| view! {
                    <TextBox label="Groups" path="approval.from".to_string() value=ctx.read(|d| d.approval_groups.clone()) set=ctx.set("approval", |d, v| d.approval_groups = v) errors=ctx.errors("approval.from".to_string()) hint="separated by commas" />
                })}
                <TextBox label="Only when field" path="approval.when.field".to_string() value=ctx.read(|d| d.approval_when_field.clone()) set=ctx.set("approval", |d, v| d.approval_when_field = v) errors=ctx.errors("approval.when.field".to_string()) hint="leave empty for every request" />
                <TextBox label="equals" path="approval.when.equals".to_string() value=ctx.read(|d| d.approval_when_equals.clone()) set=ctx.set("approval", |d, v| d.approval_when_equals = v) errors=ctx.errors("approval.when.equals".to_string()) />
            })}
        </fieldset>
        <fieldset>
            <legend>"Who can see it"</legend>
            <div class="ed-row">
                <label><input type="radio" name="ed-visible" value="all" prop:checked=move || visible_all.get() on:change=move |_| set_all.run("all".into()) />" Everyone"</label>
                <label><input type="radio" name="ed-visible" value="teams" prop:checked=move || !visible_all.get() on:change=move |_| set_all.run("teams".into()) />" Early-adopter teams only (Beta)"</label>
            </div>
            {move || (!visible_all.get()).then(|| view! {
                <TextBox label="Early-adopter teams" path="visible_to".to_string() value=ctx.read(|d| d.visible_teams.clone()) set=ctx.set("visible_to", |d, v| d.visible_teams = v) errors=ctx.errors("visible_to".to_string()) hint="separated by commas" />
            })}
        </fieldset>
        <Inputs ctx />
    }
}

#[component]
fn Inputs(ctx: EditorCtx) -> impl IntoView {
    let count = Memo::new(move |_| ctx.doc.with(|d| d.as_ref().map_or(0, |d| d.inputs.len())));
    let edit = move |f: FieldsChange| {
        ctx.change
            .run(("inputs", Box::new(move |d: &mut EditDoc| f(&mut d.inputs))));
    };
    let add = move |_| {
        edit(Box::new(|fields: &mut Vec<EditField>| {
            let n = fields.len() + 1;
            fields.push(EditField {
                name: format!("field_{n}"),
                label: format!("Field {n}"),
                kind: "string".to_string(),
                ..EditField::default()
            });
        }))
    };
    view! {
        <fieldset>
            <legend>"Form fields"</legend>
            {
                let e = ctx.errors("inputs".to_string());
                view! { <p class="field-error" role="alert">{move || e.get().join(" ")}</p> }
            }
            <For each=move || 0..count.get() key=|i| *i let:i>
                <FieldEditor ctx i count edit=Callback::new(move |f: FieldsChange| edit(f)) />
            </For>
            <button type="button" class="secondary" on:click=add>"Add field"</button>
        </fieldset>
    }
}

#[component]
fn FieldEditor(
    ctx: EditorCtx,
    i: usize,
    count: Memo<usize>,
    edit: Callback<FieldsChange>,
) -> impl IntoView {
    let path = format!("inputs[{i}]");
    let field = move |f: fn(&EditField) -> String| {
        ctx.read(move |d| d.inputs.get(i).map(f).unwrap_or_default())
    };
    let put = move |f: fn(&mut EditField, String)| {
        ctx.set("inputs", move |d, v| {
            if let Some(x) = d.inputs.get_mut(i) {
                f(x, v);
            }
        })
    };
    let kind = field(|f| f.kind.clone());
    let has = move |rule: &'static str| EditField::rules(&kind.get()).contains(&rule);
    let required = Memo::new(move |_| {
        ctx.doc.with(|d| {
            d.as_ref()
                .and_then(|d| d.inputs.get(i))
                .is_some_and(|f| f.required)
        })
    });
    let set_required = put(|f, v| f.required = v == "true");
    let set_kind = put(|f, v| f.kind = v);
    let box_ = move |label: &'static str,
                     key: &'static str,
                     get: fn(&EditField) -> String,
                     set: fn(&mut EditField, String),
                     hint: &'static str| {
        view! { <TextBox label path=format!("inputs[{i}].{key}") value=field(get) set=put(set) errors=ctx.errors(format!("inputs[{i}].{key}")) hint /> }
    };
    let move_by = move |delta: isize| {
        edit.run(Box::new(move |fields: &mut Vec<EditField>| {
            let j = i as isize + delta;
            if j >= 0 && (j as usize) < fields.len() {
                fields.swap(i, j as usize);
            }
        }))
    };
    let remove = move |_| {
        edit.run(Box::new(move |fields: &mut Vec<EditField>| {
            if i < fields.len() {
                fields.remove(i);
            }
        }))
    };
    let label = field(|f| f.label.clone());
    let own_errors = {
        let problems = ctx.problems;
        let path = path.clone();
        Memo::new(move |_| {
            problems.with(|p| {
                p.iter()
                    .filter(|p| p.field == path)
                    .map(|p| p.message.clone())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
        })
    };
    let legend = move || {
        let label = label.get();
        format!(
            "Field {}: {}",
            i + 1,
            if label.is_empty() {
                "(no label)".to_string()
            } else {
                label
            }
        )
    };
    view! {
        <fieldset class="field-editor" data-testid=format!("field-editor-{i}")>
            <legend>{legend}</legend>
            <p class="field-error" role="alert">{move || own_errors.get()}</p>
            {box_("Field name", "name", |f| f.name.clone(), |f, v| f.name = v, "used in templates: lowercase, digits, underscores")}
            {box_("Field label", "label", |f| f.label.clone(), |f, v| f.label = v, "")}
            <div class="ed-row">
                <label for=format!("ed-inputs-{i}-type")>"Field type"</label>
                <select id=format!("ed-inputs-{i}-type") on:change=move |ev| set_kind.run(event_target_value(&ev))>
                    {FieldKind::TYPE_NAMES.iter().map(|t| {
                        let t = *t;
                        view! { <option value=t selected=move || kind.get() == t>{t}</option> }
                    }).collect_view()}
                </select>
            </div>
            <div class="ed-row">
                <label>
                    <input type="checkbox" prop:checked=move || required.get()
                        on:change=move |ev| set_required.run(event_target_checked(&ev).to_string()) />
                    " Required"
                </label>
            </div>
            {box_("Help", "help", |f| f.help.clone(), |f, v| f.help = v, "")}
            {box_("Placeholder", "placeholder", |f| f.placeholder.clone(), |f, v| f.placeholder = v, "")}
            {box_("Default", "default", |f| f.default.clone(), |f, v| f.default = v, "")}
            {move || has("pattern").then(|| box_("Pattern", "pattern", |f| f.pattern.clone(), |f, v| f.pattern = v, "a regular expression the whole value must match"))}
            {move || has("min_length").then(|| box_("Minimum length", "min_length", |f| f.min_length.clone(), |f, v| f.min_length = v, ""))}
            {move || has("max_length").then(|| box_("Maximum length", "max_length", |f| f.max_length.clone(), |f, v| f.max_length = v, ""))}
            {move || has("min").then(|| box_("Minimum", "min", |f| f.min.clone(), |f, v| f.min = v, ""))}
            {move || has("max").then(|| box_("Maximum", "max", |f| f.max.clone(), |f, v| f.max = v, ""))}
            {move || has("options").then(|| view! {
                <TextBox label="Options" path=format!("inputs[{i}].options") value=field(|f| f.options.clone()) set=put(|f, v| f.options = v)
                    errors=ctx.errors(format!("inputs[{i}].options")) multiline=true hint="one per line: value = Label" />
            })}
            {box_("Show only when field", "visible_if_field", |f| f.visible_if_field.clone(), |f, v| f.visible_if_field = v, "the name of a field above; leave empty to always show")}
            {box_("has the value", "visible_if_equals", |f| f.visible_if_equals.clone(), |f, v| f.visible_if_equals = v, "")}
            {
                let cond = ctx.errors(format!("inputs[{i}].visible_if"));
                view! { <p class="field-error" role="alert">{move || cond.get().join(" ")}</p> }
            }
            <p class="form-actions">
                <button type="button" class="secondary" disabled=move || i == 0 on:click=move |_| move_by(-1)>"Move up"</button>
                <button type="button" class="secondary" disabled={move || i + 1 >= count.get()} on:click=move |_| move_by(1)>"Move down"</button>
                <button type="button" class="secondary danger" on:click=remove>"Remove field"</button>
            </p>
        </fieldset>
    }
}
