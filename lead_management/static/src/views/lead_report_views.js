/** @odoo-module **/
// Report views whose figures open the leads behind them: a pivot cell, a graph bar or a list row of a
// lead report (lead.report.mixin) opens the leads of its rows, as the user may read them.

import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { graphView } from "@web/views/graph/graph_view";
import { GraphRenderer } from "@web/views/graph/graph_renderer";
import { listView } from "@web/views/list/list_view";
import { ListController } from "@web/views/list/list_controller";
import { pivotView } from "@web/views/pivot/pivot_view";
import { PivotRenderer } from "@web/views/pivot/pivot_renderer";

const viewRegistry = registry.category("views");

async function openLeads(component, domain, context) {
    const action = await component.orm.call(
        component.model.metaData?.resModel || component.props.resModel,
        "action_open_leads",
        [domain],
        { context }
    );
    return component.actionService.doAction(action);
}

export class LeadReportPivotRenderer extends PivotRenderer {
    setup() {
        super.setup();
        this.orm = useService("orm");
    }
    openView(domain, views, context) {
        return openLeads(this, domain, context);
    }
}

export class LeadReportGraphRenderer extends GraphRenderer {
    setup() {
        super.setup();
        this.orm = useService("orm");
    }
    openView(domain, views, context) {
        return openLeads(this, domain, context);
    }
}

export class LeadReportListController extends ListController {
    async openRecord(record) {
        const lead = record.data.lead_id;
        if (!lead) {
            return;
        }
        return this.actionService.doAction({
            type: "ir.actions.act_window",
            res_model: "crm.lead",
            res_id: lead[0],
            views: [[false, "form"]],
            target: "current",
        });
    }
}

viewRegistry.add("lead_report_pivot", { ...pivotView, Renderer: LeadReportPivotRenderer });
viewRegistry.add("lead_report_graph", { ...graphView, Renderer: LeadReportGraphRenderer });
viewRegistry.add("lead_report_list", { ...listView, Controller: LeadReportListController });
