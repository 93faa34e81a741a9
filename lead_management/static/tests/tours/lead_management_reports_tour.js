/** @odoo-module **/

import { registry } from "@web/core/registry";

function openReport(menuXmlid, title) {
    return [
        {
            content: "Open CRM's Reporting menu",
            trigger: ".o_main_navbar [data-menu-xmlid='crm.crm_menu_report']",
            run: "click",
        },
        {
            content: `Open ${title}`,
            trigger: `.o-dropdown--menu [data-menu-xmlid='lead_management.${menuXmlid}']`,
            run: "click",
        },
        {
            content: `${title} is open`,
            trigger: `.o_breadcrumb:contains('${title}')`,
        },
    ];
}

function pivotToGraphAndBack() {
    return [
        {
            content: "The pivot shows figures",
            trigger: ".o_pivot .o_pivot_cell_value .o_value",
        },
        {
            content: "Switch to the graph",
            trigger: "button.o_switch_view.o_graph",
            run: "click",
        },
        {
            content: "The graph is drawn",
            trigger: ".o_graph_renderer canvas",
        },
        {
            content: "Back to the pivot",
            trigger: "button.o_switch_view.o_pivot",
            run: "click",
        },
        {
            trigger: ".o_pivot .o_pivot_cell_value .o_value",
        },
    ];
}

registry.category("web_tour.tours").add("lead_management_reports_tour", {
    url: "/odoo/action-lead_management.lead_management_dashboard_action",
    steps: () => [
        // The overview
        {
            content: "The overview shows its figures",
            trigger: ".o_lead_dashboard_tile[data-tile='new_leads']:contains('7')",
        },
        {
            content: "The follow-up figure is shown against its target",
            trigger: ".o_lead_dashboard_tile[data-tile='followup']:contains('Target')",
        },
        {
            content: "The funnel pivot is in the overview",
            trigger: ".o_lead_dashboard_view[data-view='funnel'] .o_pivot .o_pivot_cell_value",
        },
        {
            content: "The stages at month end graph is in the overview",
            trigger: ".o_lead_dashboard_view[data-view='month'] .o_graph_renderer canvas",
        },
        {
            content: "The follow-up pivot is in the overview",
            trigger: ".o_lead_dashboard_view[data-view='followup'] .o_pivot:contains('Sam Salesman')",
        },
        {
            content: "The campaign pivot is in the overview",
            trigger: ".o_lead_dashboard_view[data-view='campaign'] .o_pivot:contains('Webinar')",
        },
        {
            content: "Open the leads behind the hand-off figure",
            trigger: ".o_lead_dashboard_tile[data-tile='handed_off']",
            run: "click",
        },
        {
            content: "The leads handed off are listed",
            trigger: ".o_list_view .o_data_row:contains('L6')",
        },
        {
            content: "Three leads were handed off (four hand-offs)",
            trigger: ".o_list_view:not(:has(.o_data_row:nth-child(4)))",
        },
        {
            content: "Back to the overview",
            trigger: ".o_breadcrumb li.o_back_button",
            run: "click",
        },
        {
            trigger: ".o_lead_dashboard_tile[data-tile='new_leads']",
        },
        // The funnel: pivot ↔ graph, a campaign filter, the leads behind a cell
        ...openReport("lead_management_menu_funnel", "Funnel"),
        ...pivotToGraphAndBack(),
        {
            content: "Filter by campaign",
            trigger: "input.o_searchview_input",
            run: "edit Webinar",
        },
        {
            content: "Search the campaign",
            trigger: ".o_searchview_autocomplete .o_menu_item:contains('Campaign')",
            run: "click",
        },
        {
            content: "The filter is applied",
            trigger: ".o_searchview_facet:contains('Webinar')",
        },
        {
            content: "Open the leads behind the total of the first stage",
            trigger: ".o_pivot table tbody tr:first-child td.o_pivot_cell_value:last-child",
            run: "click",
        },
        {
            content: "Only the campaign's leads are listed",
            trigger: ".o_list_view .o_data_row:contains('L4')",
        },
        {
            trigger: ".o_list_view:not(:has(.o_data_row:contains('L2')))",
        },
        // Every other report
        ...openReport("lead_management_menu_funnel_month", "Leads per Stage by Month"),
        ...pivotToGraphAndBack(),
        ...openReport("lead_management_menu_funnel_time", "Time in Stage"),
        {
            trigger: ".o_pivot .o_pivot_cell_value .o_value",
        },
        ...openReport("lead_management_menu_funnel_age", "Age of Open Leads"),
        {
            content: "The age graph is drawn",
            trigger: ".o_graph_renderer canvas",
        },
        ...openReport("lead_management_menu_followup", "Follow-up"),
        ...pivotToGraphAndBack(),
        ...openReport("lead_management_menu_campaign", "Campaign ROI"),
        ...pivotToGraphAndBack(),
        {
            content: "First touch is the default attribution",
            trigger: ".o_searchview_facet:contains('First Touch')",
        },
    ],
});
