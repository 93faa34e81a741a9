/** @odoo-module **/

import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("lead_management_sla_answer_tour", {
    url: "/odoo/action-lead_management.crm_lead_action_handed_off",
    steps: () => [
        {
            content: "The breached lead comes first, before the one still on track",
            trigger: ".o_list_table tbody tr.o_data_row:first-child:contains('Overdue: Initrode') .badge:contains('Breached')",
        },
        {
            content: "The lead still on track comes after it",
            trigger: ".o_list_table tbody tr.o_data_row:nth-child(2):contains('On time: Vandelay') .badge:contains('On Track')",
        },
        {
            content: "Open the breached lead",
            trigger: ".o_data_row:first-child td[name='name']",
            run: "click",
        },
        {
            content: "Accept it",
            trigger: ".o_form_view button[name='action_accept_handoff']",
            run: "click",
        },
        {
            content: "It is an opportunity now",
            trigger: ".o_form_view:not(:has(button[name='action_accept_handoff']))",
        },
        {
            content: "Look at its follow-up",
            trigger: ".o_notebook a.nav-link:contains('Lead Management')",
            run: "click",
        },
        {
            content: "Answered, but after its deadline: it stays breached",
            trigger: ".o_field_widget[name='sla_state'] .badge:contains('Breached')",
        },
    ],
});
