/** @odoo-module **/

import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("lead_management_scoring_rule_tour", {
    url: "/odoo/action-lead_management.lead_scoring_rule_action",
    steps: () => [
        {
            content: "Add a fit rule",
            trigger: ".o_list_button_add",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name='name'] input",
            run: "edit Every lead counts",
        },
        {
            trigger: ".o_field_widget[name='points'] input",
            run: "edit 80 && click body",
        },
        {
            content: "Preview its impact before saving",
            trigger: ".o_field_widget[name='preview_impact'] input",
            run: "click",
        },
        {
            content: "Leads would move from D to A",
            trigger: ".o_field_widget[name='preview_html']:contains('would change grade') tr:has(td:first-child:contains('D')):has(td:nth-child(3):contains('A'))",
        },
        {
            content: "Save the rule",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "Saved",
            trigger: ".o_form_view:not(:has(.o_form_status_indicator_buttons:not(.invisible))) .o_breadcrumb:contains('Every lead counts')",
        },
    ],
});
