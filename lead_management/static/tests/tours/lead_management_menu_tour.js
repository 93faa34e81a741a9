/** @odoo-module **/

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

registry.category("web_tour.tours").add("lead_management_menu_tour", {
    url: "/web/login",
    steps: () => [
        {
            content: "Type the qualifying rep's login",
            trigger: "input#login",
            run: "edit lm_qualifier",
        },
        {
            content: "Type the password",
            trigger: "input#password",
            run: "edit lm_qualifier",
        },
        {
            content: "Log in",
            trigger: "button:contains('Log in')",
            run: "click",
        },
        stepUtils.showAppsMenuItem(),
        {
            content: "Open CRM",
            trigger: ".o_app[data-menu-xmlid='crm.crm_menu_root']",
            run: "click",
        },
        {
            content: "Open the Lead Management menu",
            trigger: ".o_main_navbar [data-menu-xmlid='lead_management.lead_management_menu_root']",
            run: "click",
        },
        {
            content: "Open the qualification queue",
            trigger: ".o-dropdown--menu [data-menu-xmlid='lead_management.lead_management_menu_queue']",
            run: "click",
        },
        {
            content: "The queue shows the leads",
            trigger: ".o_breadcrumb:contains('Qualification Queue')",
        },
        {
            content: "The rep's lead is in the queue",
            trigger: ".o_kanban_record:contains('Acme wants a demo')",
        },
    ],
});
