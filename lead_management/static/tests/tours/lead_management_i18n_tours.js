/** @odoo-module **/

import { registry } from "@web/core/registry";

// The hand-off as a qualifying rep working in Arabic: the web client right to left, the addon's words in Arabic.
registry.category("web_tour.tours").add("lead_management_handoff_ar_tour", {
    url: "/odoo/action-lead_management.crm_lead_action_qualification_queue",
    steps: () => [
        {
            content: "The web client is laid out right to left (the right-to-left style sheets)",
            trigger: "body.o_rtl .o_action_manager",
            run() {
                const direction = getComputedStyle(document.querySelector(".o_action_manager")).direction;
                if (direction !== "rtl") {
                    throw new Error(`the web client is laid out ${direction}, not right to left`);
                }
            },
        },
        {
            content: "The queue's name, in Arabic",
            trigger: ".o_breadcrumb:contains('قائمة انتظار التأهيل')",
        },
        {
            content: "The lead in the Qualified column (مؤهل)",
            trigger: ".o_kanban_group:has(.o_column_title:contains('مؤهل')) .o_kanban_record:contains('Acme wants a demo')",
            run: "click",
        },
        {
            content: "The stage's agreed definition, in Arabic",
            trigger: ".o_form_view .alert-info:contains('تلائم حلولنا')",
        },
        {
            content: "Hand Off to Sales (التسليم إلى المبيعات)",
            trigger: ".o_form_view button[name='action_handoff_to_sales']:contains('التسليم إلى المبيعات')",
            run: "click",
        },
        {
            content: "Awaiting the salesperson's answer, in Arabic",
            trigger: ".o_form_view .alert-warning:contains('بانتظار رد مندوب المبيعات')",
        },
    ],
});

// A report read in Japanese: the funnel's name and measure, and its figures.
registry.category("web_tour.tours").add("lead_management_report_ja_tour", {
    url: "/odoo/action-lead_management.lead_funnel_report_action",
    steps: () => [
        {
            content: "The funnel's name, in Japanese",
            trigger: ".o_breadcrumb:contains('ファネル')",
        },
        {
            content: "The pivot shows figures",
            trigger: ".o_pivot .o_pivot_cell_value .o_value",
        },
        {
            content: "Its conversion measure, in Japanese",
            trigger: ".o_pivot th:contains('次ステージへの転換率')",
        },
    ],
});
